//! Standard input as one blob (`leakhound scan -`).

use crate::engine::finding::{Origin, SourceKind};
use crate::engine::{Engine, Scratch};
use crate::scan::ScanOutcome;
use std::io::Read;

/// The name stdin is given in messages.
pub const STDIN_NAME: &str = "<stdin>";

/// Reads `reader` to the end and scans it. Binary input is scanned too: the
/// user piped it in on purpose.
pub fn scan_reader(engine: &Engine, mut reader: impl Read) -> ScanOutcome {
    let mut outcome = ScanOutcome::default();
    let mut bytes = Vec::new();
    if let Err(e) = reader.read_to_end(&mut bytes) {
        outcome.error(STDIN_NAME, format!("cannot read: {e}"));
        return outcome;
    }
    let origin = Origin {
        source: SourceKind::Stdin,
        path: None,
        commit: None,
    };
    outcome.scan_blob(engine, &mut Scratch::default(), &bytes, &origin);
    outcome
}
