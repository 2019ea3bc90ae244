//! Git repositories as sources, read with gix and never by running `git`.
//!
//! The scanned repository is untrusted: it is opened isolated (its own
//! config only, no environment overrides), and nothing it configures is ever
//! executed: no hooks, filters, fsmonitor or pager. gix runs none of them
//! for the reads done here.

pub mod added_lines;
mod budget_cache;
pub mod history;
pub mod index_file;
pub mod packs;
pub mod staged;
#[cfg(test)]
mod test_repo;

use std::path::Path;

/// Why a repository could not be used.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{path}: not inside a git repository")]
    NotARepository { path: String },
    #[error("{path}: cannot open the repository: {message}")]
    Open { path: String, message: String },
    #[error("cannot read the index: {0}")]
    Index(String),
    #[error("cannot read object {id}: {message}")]
    Object { id: String, message: String },
}

/// Finds and opens the repository containing `dir`, isolated from the
/// environment and global config.
pub fn discover(dir: &Path) -> Result<gix::Repository, GitError> {
    let options = gix::open::Options::isolated();
    gix::discover_opts(dir, Default::default(), options).map_err(|e| match e {
        gix::discover::Error::Discover(_) => GitError::NotARepository {
            path: dir.display().to_string(),
        },
        other => GitError::Open {
            path: dir.display().to_string(),
            message: other.to_string(),
        },
    })
}
