//! The GitHub Action (action.yml): its steps run locally the way a runner
//! runs them, by tests/action/run.sh, against the binary under test.

#[test]
fn action_steps_scan_what_the_event_calls_for() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/action/run.sh");
    let output = std::process::Command::new("bash")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_leakhound"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "action test failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("all checks passed"));
}
