//! Working trees and plain folders, walked in parallel with the `ignore`
//! crate so `.gitignore` is honoured the way git honours it.

use crate::engine::finding::{Origin, SourceKind};
use crate::engine::{Engine, Scratch};
use crate::rules::GlobalAllow;
use crate::scan::{ScanOutcome, SkipReason, looks_binary};
use ignore::{DirEntry, WalkBuilder, WalkState};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Files at least this large are memory-mapped instead of read: mapping
/// costs a syscall or two more than it saves on small files.
const MMAP_THRESHOLD: u64 = 1024 * 1024;

/// What to walk and how.
#[derive(Debug, Clone)]
pub struct FsOptions {
    pub roots: Vec<PathBuf>,
    /// Scan files that `.gitignore` and friends exclude.
    pub no_ignore: bool,
    pub follow_symlinks: bool,
    pub max_file_size: u64,
    pub scan_binary: bool,
    pub threads: usize,
}

/// Walks every root and scans every file in parallel.
pub fn scan_paths(engine: &Engine, options: &FsOptions) -> ScanOutcome {
    let total = Mutex::new(ScanOutcome::default());
    let mut roots = options.roots.iter();
    let Some(first) = roots.next() else {
        return ScanOutcome::default();
    };
    let mut builder = WalkBuilder::new(first);
    for root in roots {
        builder.add(root);
    }
    builder
        .hidden(false) // `.env` and friends are exactly where secrets live
        .follow_links(options.follow_symlinks)
        .threads(options.threads)
        .filter_entry(|entry| entry.file_name() != ".git");
    if options.no_ignore {
        builder.standard_filters(false).hidden(false);
    }

    builder.build_parallel().run(|| {
        let mut worker = Worker {
            engine,
            options,
            allow: &engine.rules().allow,
            scratch: Scratch::default(),
            buffer: Vec::new(),
            outcome: ScanOutcome::default(),
            total: &total,
        };
        Box::new(move |entry| {
            worker.visit(entry);
            WalkState::Continue
        })
    });
    total
        .into_inner()
        .expect("no worker panicked holding the lock")
}

/// One walker thread's state; its results join the total when it is dropped,
/// so the hot path takes no lock.
struct Worker<'a> {
    engine: &'a Engine,
    options: &'a FsOptions,
    allow: &'a GlobalAllow,
    scratch: Scratch,
    buffer: Vec<u8>,
    outcome: ScanOutcome,
    total: &'a Mutex<ScanOutcome>,
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let outcome = std::mem::take(&mut self.outcome);
        if let Ok(mut total) = self.total.lock() {
            total.merge(outcome);
        }
    }
}

impl Worker<'_> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let (path, message) = describe_walk_error(&error);
                self.outcome.error(path, message);
                return;
            }
        };
        let Some(file_type) = entry.file_type() else {
            return; // stdin entry; never produced for real paths
        };
        if file_type.is_dir() {
            return;
        }
        let display = display_path(entry.path());
        if file_type.is_symlink() {
            // Only reached when not following links; a named root is followed.
            if entry.depth() > 0 {
                self.outcome.stats.skip(SkipReason::Symlink);
                return;
            }
        }
        if self.allow.path_is_allowed(&display) {
            self.outcome.stats.skip(SkipReason::Allowlisted);
            return;
        }
        let origin = Origin {
            source: SourceKind::File,
            path: Some(display),
            commit: None,
        };
        self.outcome.scan_path(self.engine, &origin);
        if let Err(message) = self.scan_file(entry.path(), &origin) {
            self.outcome.error(origin.path.unwrap_or_default(), message);
        }
    }

    fn scan_file(&mut self, path: &Path, origin: &Origin) -> Result<(), String> {
        let mut file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
        let metadata = file.metadata().map_err(|e| format!("cannot stat: {e}"))?;
        if !metadata.is_file() {
            return Ok(()); // fifos, sockets and devices are not files to scan
        }
        let size = metadata.len();
        if size > self.options.max_file_size {
            self.outcome.stats.skip(SkipReason::TooLarge);
            return Ok(());
        }
        if size >= MMAP_THRESHOLD {
            // SAFETY: the map is read-only and dropped before we return. If
            // another process truncates the file meanwhile we may read zeros
            // or fault; ripgrep accepts the same trade-off for large files.
            let map =
                unsafe { memmap2::Mmap::map(&file) }.map_err(|e| format!("cannot map: {e}"))?;
            self.scan_bytes(&map, origin);
        } else {
            self.buffer.clear();
            file.read_to_end(&mut self.buffer)
                .map_err(|e| format!("cannot read: {e}"))?;
            let buffer = std::mem::take(&mut self.buffer);
            self.scan_bytes(&buffer, origin);
            self.buffer = buffer;
        }
        Ok(())
    }

    fn scan_bytes(&mut self, bytes: &[u8], origin: &Origin) {
        if !self.options.scan_binary && looks_binary(bytes) {
            self.outcome.stats.skip(SkipReason::Binary);
            return;
        }
        self.outcome
            .scan_blob(self.engine, &mut self.scratch, bytes, origin);
    }
}

/// The path as the user will see it: `./` dropped, non-UTF-8 bytes replaced.
fn display_path(path: &Path) -> String {
    let path = path.strip_prefix("./").unwrap_or(path);
    path.to_string_lossy().into_owned()
}

/// The path an `ignore` error is about, and what went wrong.
fn describe_walk_error(error: &ignore::Error) -> (String, String) {
    fn find(error: &ignore::Error) -> Option<(String, String)> {
        match error {
            ignore::Error::WithPath { path, err } => Some((display_path(path), err.to_string())),
            ignore::Error::WithLineNumber { err, .. } | ignore::Error::WithDepth { err, .. } => {
                find(err)
            }
            ignore::Error::Loop { child, ancestor } => Some((
                display_path(child),
                format!("symlink loop back to {}", ancestor.display()),
            )),
            _ => None,
        }
    }
    find(error).unwrap_or_else(|| ("<walk>".to_string(), error.to_string()))
}
