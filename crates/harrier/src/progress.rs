//! Progress bars for long runs, drawn on standard error so they never mix with what a command prints on
//! standard output.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Set once from the global `--no-progress` flag before any command runs.
static DISABLED: AtomicBool = AtomicBool::new(false);

/// Records the global `--no-progress` flag.
pub fn init(no_progress: bool) {
    DISABLED.store(no_progress, Ordering::Relaxed);
}

/// Returns whether a command may draw progress: not with `--no-progress`, not with `--json` (whose readers
/// are scripts), and only when standard error is a terminal.
pub fn enabled(json: bool) -> bool {
    !DISABLED.load(Ordering::Relaxed) && !json && std::io::stderr().is_terminal()
}

/// Returns a bar over `total` units with `template`, or a hidden bar when `show` is false. Every call on a
/// hidden bar does nothing, so callers update it unconditionally.
pub fn bar(show: bool, total: u64, template: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(ProgressStyle::with_template(template).expect("the progress template is valid"));
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Returns a spinner with a count for work of unknown size, such as the messages of an mbox, or a hidden
/// one when `show` is false.
pub fn counter(show: bool, unit: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let template = format!("{{spinner}} [{{elapsed_precise}}] {{human_pos}} {unit} {{msg}}");
    bar.set_style(ProgressStyle::with_template(&template).expect("the progress template is valid"));
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Returns a spinner showing `message` while one step of unknown length runs, or a hidden one when `show`
/// is false.
pub fn spinner(show: bool, message: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}").expect("the progress template is valid"));
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_when_not_shown() {
        assert!(bar(false, 10, "{wide_bar}").is_hidden());
        assert!(counter(false, "messages").is_hidden());
        assert!(spinner(false, "Analysing").is_hidden());
    }

    #[test]
    fn disabled_with_json() {
        assert!(!enabled(true));
    }
}
