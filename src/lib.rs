//! leakhound: a secret scanner for working trees, staged changes and git
//! history.
//!
//! Bytes flow one way: a [`source`] yields blobs with their origin, the
//! [`engine`] finds [`engine::finding::Detection`]s in them using the
//! compiled [`rules`], [`scan`] turns those into findings and statistics,
//! and a [`report`] writes them. Only [`cli`] knows about command-line
//! flags.

pub mod cli;
pub mod engine;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
pub mod suppress;
