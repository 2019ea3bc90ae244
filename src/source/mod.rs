//! Sources of bytes to scan. Each knows where bytes come from and nothing
//! about rules; it hands blobs with their origin to the engine.

pub mod fs;
pub mod git;
pub mod stdin;
