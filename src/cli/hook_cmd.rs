//! `leakhound install-hook`: a plain git hook for people who do not use the
//! pre-commit framework.

use super::{ExitStatus, print_error};
use crate::source::git;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct InstallHookArgs {
    /// Install the pre-push hook instead of the pre-commit hook.
    #[arg(long)]
    pre_push: bool,

    /// Replace an existing hook.
    #[arg(long)]
    force: bool,

    /// The repository (default: the one containing the current folder).
    #[arg(long, value_name = "DIR", default_value = ".")]
    repo: PathBuf,
}

pub fn run(args: InstallHookArgs) -> ExitStatus {
    let repo = match git::discover(&args.repo) {
        Ok(repo) => repo,
        Err(e) => {
            print_error(e);
            return ExitStatus::Error;
        }
    };
    let (name, command) = if args.pre_push {
        ("pre-push", "scan history --pre-push")
    } else {
        ("pre-commit", "scan staged")
    };
    let hooks = repo.common_dir().join("hooks");
    let path = hooks.join(name);
    if path.exists() && !args.force {
        print_error(format!(
            "{} already exists; leakhound did not touch it. Re-run with --force to replace it, \
             or call `leakhound {command}` from it",
            path.display()
        ));
        return ExitStatus::Error;
    }
    // The hook calls the binary that installed it, so it works even when
    // leakhound is not on the PATH that git gives hooks.
    let binary = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "leakhound".to_string());
    let script = format!(
        "#!/bin/sh\n# Installed by `leakhound install-hook`.\n\
         exec \"{}\" {command}\n",
        binary.replace('"', "\\\"")
    );
    let written = std::fs::create_dir_all(&hooks)
        .and_then(|()| std::fs::write(&path, script))
        .and_then(|()| make_executable(&path));
    if let Err(e) = written {
        print_error(format!("{}: cannot write the hook: {e}", path.display()));
        return ExitStatus::Error;
    }
    println!("leakhound: installed the {name} hook at {}", path.display());
    ExitStatus::Clean
}

#[cfg(unix)]
fn make_executable(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn make_executable(_: &std::path::Path) -> std::io::Result<()> {
    Ok(())
}
