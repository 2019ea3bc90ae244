//! End-to-end tests: the real binary on files, folders and repositories
//! built in temporary directories.

mod action;
mod corpus;
mod detection;
mod gitleaks;
mod helpers;
mod history;
mod reports;
mod rules_cmd;
mod scan_fs;
mod staged;
mod suppression;
