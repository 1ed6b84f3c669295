//! Releasing a message the milter held: `postsuper -H` moves it from Postfix's hold queue back to the
//! active queue, and Postfix delivers it.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error(
        "the hold record has no valid Postfix queue id (got {0:?}); release the message by hand with postsuper -H"
    )]
    MissingQueueId(String),
    #[error("cannot run postsuper: {0}; is Postfix installed and postsuper on the PATH?")]
    Spawn(std::io::Error),
    #[error("postsuper -H {queue_id} failed: {output}")]
    Failed { queue_id: String, output: String },
}

/// Returns what releasing a held message needs, as recorded in the action log when it is held.
pub fn hold_detail(queue_id: &str, postfix_config_dir: Option<&PathBuf>) -> Value {
    json!({ "queue_id": queue_id, "postfix_config_dir": postfix_config_dir })
}

/// Releases the held message that `detail` (from [`hold_detail`]) names, and returns postsuper's report.
pub fn release_held(detail: &Value) -> Result<String, ReleaseError> {
    let queue_id = detail["queue_id"].as_str().unwrap_or_default();
    // Postfix queue ids are hexadecimal or, with long queue ids, base-52 letters and digits; anything else
    // could be read as an option by postsuper.
    if queue_id.is_empty() || !queue_id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ReleaseError::MissingQueueId(queue_id.to_owned()));
    }
    let mut command = Command::new("postsuper");
    if let Some(dir) = detail["postfix_config_dir"].as_str() {
        command.arg("-c").arg(dir);
    }
    let output = command
        .arg("-H")
        .arg(queue_id)
        .output()
        .map_err(ReleaseError::Spawn)?;
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
    .trim()
    .to_owned();
    // postsuper exits 0 when the id is not in the hold queue and prints nothing; it reports a release as
    // "Released from hold: 1 message".
    if !output.status.success() || !report.contains("Released from hold") {
        let output = if report.is_empty() {
            "the message is not in the hold queue".to_owned()
        } else {
            report
        };
        return Err(ReleaseError::Failed {
            queue_id: queue_id.to_owned(),
            output,
        });
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_id_with_option_rejected() {
        let error = release_held(&json!({ "queue_id": "-c/etc" })).expect_err("a dash is rejected");
        assert!(matches!(error, ReleaseError::MissingQueueId(_)));
    }

    #[test]
    fn missing_queue_id_rejected() {
        let error = release_held(&Value::Null).expect_err("no id is rejected");
        assert!(matches!(error, ReleaseError::MissingQueueId(_)));
    }
}
