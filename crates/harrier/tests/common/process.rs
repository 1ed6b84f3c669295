//! Running the harrier binary from whole-process tests.

use std::process::Command;

/// Runs a command, asserts that it succeeded (printing both outputs otherwise) and returns its standard
/// output.
pub fn run(command: &mut Command) -> String {
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{command:?} failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    stdout
}
