//! A baseline: an earlier leakhound JSON report whose findings are not
//! reported again. A finding is in the baseline when the same secret (its
//! fingerprint) was already reported in the same file, wherever the line
//! has moved since.

use crate::engine::finding::Finding;
use std::collections::HashSet;
use std::path::Path;

#[derive(Debug, Default)]
pub struct Baseline {
    known: HashSet<(String, Option<String>)>,
}

impl Baseline {
    /// Reads a JSON report written by `--format json` (any 1.x version,
    /// redacted or not). Errors name the file and what is wrong.
    pub fn load(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read(path)
            .map_err(|e| format!("{}: cannot read baseline: {e}", path.display()))?;
        Baseline::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &[u8]) -> Result<Baseline, String> {
        let report: serde_json::Value = serde_json::from_slice(text)
            .map_err(|e| format!("not a leakhound JSON report (line {}: {e})", e.line()))?;
        let version = report["version"].as_str().unwrap_or_default();
        if !version.starts_with("1.") {
            return Err(format!(
                "not a leakhound JSON report of format 1.x (version is `{version}`); write one with `--format json`"
            ));
        }
        let findings = report["findings"]
            .as_array()
            .ok_or("the report has no `findings` array")?;
        let mut known = HashSet::with_capacity(findings.len());
        for (index, finding) in findings.iter().enumerate() {
            let fingerprint = finding["fingerprint"]
                .as_str()
                .ok_or_else(|| format!("finding {index} has no `fingerprint`"))?;
            let path = finding["path"].as_str().map(str::to_string);
            known.insert((fingerprint.to_string(), path));
        }
        Ok(Baseline { known })
    }

    pub fn len(&self) -> usize {
        self.known.len()
    }

    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    pub fn contains(&self, finding: &Finding) -> bool {
        // Borrowed lookups on a tuple key need owned parts; findings are few.
        self.known
            .contains(&(finding.fingerprint.clone(), finding.path.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fingerprint_and_path_of_each_finding() {
        let baseline = Baseline::parse(
            br#"{"version":"1.0","findings":[
                {"fingerprint":"aa","path":"src/a.rs","secret":"REDACTED"},
                {"fingerprint":"bb","path":null}
            ]}"#,
        )
        .unwrap();
        assert_eq!(baseline.len(), 2);
        assert!(
            baseline
                .known
                .contains(&("aa".into(), Some("src/a.rs".into())))
        );
        assert!(baseline.known.contains(&("bb".into(), None)));
    }

    #[test]
    fn rejects_what_is_not_a_report() {
        assert!(Baseline::parse(b"[1, 2").unwrap_err().contains("line 1"));
        assert!(Baseline::parse(br#"{"version":"2.0","findings":[]}"#).is_err());
        let err = Baseline::parse(br#"{"version":"1.1","findings":[{"path":"x"}]}"#).unwrap_err();
        assert!(err.contains("fingerprint"), "{err}");
    }
}
