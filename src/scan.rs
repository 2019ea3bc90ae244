//! What a scan produces, whatever its source: findings, statistics and the
//! per-file problems that did not stop it.

use crate::engine::finding::{Detection, Finding, Origin};
use crate::engine::{Engine, Scratch};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// Counts that tell the user what was and was not looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanStats {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    /// Files not scanned, by reason (`binary`, `too_large`, `symlink`, ...).
    pub skipped: BTreeMap<&'static str, u64>,
    pub errors: u64,
    #[serde(serialize_with = "serialize_seconds")]
    pub duration: Duration,
}

impl ScanStats {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    pub fn skip(&mut self, reason: SkipReason) {
        *self.skipped.entry(reason.as_str()).or_default() += 1;
    }

    fn merge(&mut self, other: ScanStats) {
        self.files_scanned += other.files_scanned;
        self.bytes_scanned += other.bytes_scanned;
        for (reason, count) in other.skipped {
            *self.skipped.entry(reason).or_default() += count;
        }
        self.errors += other.errors;
    }
}

fn serialize_seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// Why an input was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    Binary,
    TooLarge,
    Symlink,
    Allowlisted,
    Submodule,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge => "too_large",
            SkipReason::Symlink => "symlink",
            SkipReason::Allowlisted => "allowlisted_path",
            SkipReason::Submodule => "submodule",
        }
    }
}

/// A problem with one input that the scan stepped over.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ScanError {
    /// The file, object or stream concerned.
    pub path: String,
    pub message: String,
}

/// Everything one scan produced.
#[derive(Debug, Default)]
pub struct ScanOutcome {
    pub findings: Vec<Finding>,
    pub stats: ScanStats,
    pub errors: Vec<ScanError>,
    /// Things the user should know about what was scanned (a shallow
    /// clone's cut history, say) that are not errors.
    pub notes: Vec<String>,
}

impl ScanOutcome {
    /// Folds a worker's results in.
    pub fn merge(&mut self, other: ScanOutcome) {
        self.findings.extend(other.findings);
        self.stats.merge(other.stats);
        self.errors.extend(other.errors);
        self.notes.extend(other.notes);
    }

    pub fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.stats.errors += 1;
        self.errors.push(ScanError {
            path: path.into(),
            message: message.into(),
        });
    }

    /// Scans one blob and records its findings and size.
    pub fn scan_blob(
        &mut self,
        engine: &Engine,
        scratch: &mut Scratch,
        bytes: &[u8],
        origin: &Origin,
    ) {
        self.scan_blob_focused(engine, scratch, bytes, origin, None);
    }

    /// Like `scan_blob`, reporting only what touches `focus` (byte ranges,
    /// sorted and disjoint) when given.
    pub fn scan_blob_focused(
        &mut self,
        engine: &Engine,
        scratch: &mut Scratch,
        bytes: &[u8],
        origin: &Origin,
        focus: Option<&crate::engine::focus::Ranges>,
    ) {
        self.stats.files_scanned += 1;
        self.stats.bytes_scanned += bytes.len() as u64;
        let path = origin.path.as_deref();
        let detections = match focus {
            Some(focus) => engine.scan_focused(bytes, path, focus, scratch),
            None => engine.scan(bytes, path, scratch),
        };
        self.record(engine, detections, origin);
    }

    /// Reports what file rules (rules without a regex) say about the file
    /// at `origin`, whether or not its content is then read.
    pub fn scan_path(&mut self, engine: &Engine, origin: &Origin) {
        if let Some(path) = origin.path.as_deref()
            && engine.has_file_rules()
        {
            let detections = engine.file_detections(path);
            self.record(engine, detections, origin);
        }
    }

    /// Turns detections into findings, settling checks that waited for the
    /// origin (path and commit allowlist criteria).
    fn record(&mut self, engine: &Engine, detections: Vec<Detection>, origin: &Origin) {
        let commit = origin.commit.as_ref().map(|c| c.commit.as_str());
        for detection in detections {
            if let Some(pending) = &detection.pending
                && !engine
                    .rules()
                    .stands_at(pending, origin.path.as_deref(), commit)
            {
                continue;
            }
            let rule = &engine.rules().rules[detection.rule];
            self.findings.push(Finding::new(rule, detection, origin));
        }
    }

    /// Puts findings and errors in their canonical order: output must not
    /// depend on thread scheduling.
    pub fn finish(&mut self, duration: Duration) {
        self.findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.errors.sort();
        self.stats.duration = duration;
    }
}

/// Whether bytes look binary: a NUL in the first 8 KiB, as git decides.
pub fn looks_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some()
}
