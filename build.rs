//! Embeds every `rules/*.toml` into the binary, so adding a rule file needs
//! no code change.
//!
//! Each file is embedded twice: as written (for `leakhound rules check`,
//! which needs the examples and reports errors by line), and as compact
//! JSON without examples, which scans load. Parsing JSON is several times
//! faster than parsing TOML, and start-up is part of every pre-commit.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    println!("cargo:rerun-if-changed={}", rules_dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&rules_dir)
        .expect("rules/ exists")
        .map(|e| e.expect("readable rules/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let out_dir = std::env::var("OUT_DIR").unwrap();
    let mut code = String::from("pub static FILES: &[(&str, &str, &str)] = &[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        let compact =
            compact_json(&text).unwrap_or_else(|e| panic!("rules/{name} is not valid TOML: {e}"));
        let json_path = Path::new(&out_dir).join(format!("{name}.json"));
        std::fs::write(&json_path, compact).unwrap();
        writeln!(
            code,
            "    ({name:?}, include_str!({:?}), include_str!({:?})),",
            path.display().to_string(),
            json_path.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    std::fs::write(Path::new(&out_dir).join("builtin_rules.rs"), code).unwrap();
}

/// The rule file as JSON, without the examples that only `rules check` reads.
fn compact_json(text: &str) -> Result<String, toml::de::Error> {
    let mut table: toml::Table = toml::from_str(text)?;
    if let Some(toml::Value::Array(rules)) = table.get_mut("rules") {
        for rule in rules.iter_mut() {
            if let toml::Value::Table(rule) = rule {
                rule.remove("examples");
                rule.remove("negative_examples");
            }
        }
    }
    Ok(serde_json::to_string(&table).expect("TOML values are JSON values"))
}
