//! One milter connection: collecting a message from Postfix's callbacks, and at its end analysing it,
//! carrying out the planned actions and replying with the header, body and quarantine changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use harrier_respond::linklock::{LinkClaims, LockPolicy};
use harrier_respond::{
    ActionKind, ActionLog, Decision, MessagePlan, Mode, PlannedAction, plan_message,
};
use miltr_common::actions::{Action, Continue, Tempfail};
use miltr_common::commands::{Body, Header, Macro, Mail, Recipient};
use miltr_common::modifications::body::ReplaceBody;
use miltr_common::modifications::headers::{AddHeader, ChangeHeader};
use miltr_common::modifications::quarantine::Quarantine;
use miltr_common::modifications::{ModificationResponse, ModificationResponseBuilder};
use miltr_server::Milter;
use serde_json::{Value, json};

use crate::config::{MilterConfig, OnError};
use crate::inspect::{Envelope, inspect, top_factors};
use crate::rewrite::{RewritePlan, rewrite};

/// Prefix of every header harrier adds; headers with it that arrive with the message are removed, so a
/// sender cannot forge a verdict.
pub const HEADER_PREFIX: &str = "X-Harrier-";

/// Largest `SMFIR_REPLBODY` chunk, in bytes: libmilter's `MILTER_CHUNK_SIZE`.
const BODY_CHUNK: usize = 65_535;

/// Factor kinds named in `X-Harrier-Factors`.
const HEADER_FACTORS: usize = 5;

/// State shared by every connection.
pub struct Shared {
    pub config: MilterConfig,
    pub log: Mutex<ActionLog>,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the action log is unusable: {0}")]
    Log(String),
}

/// The collected message of one connection; reset after each message.
pub struct Session {
    shared: Arc<Shared>,
    queue_id: String,
    mail_from: String,
    recipients: Vec<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// When MAIL FROM arrived: the first callback of the message.
    mail_started: Option<Instant>,
}

impl Session {
    pub fn new(shared: Arc<Shared>) -> Session {
        Session {
            shared,
            queue_id: String::new(),
            mail_from: String::new(),
            recipients: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
            mail_started: None,
        }
    }

    fn reset(&mut self) {
        self.queue_id.clear();
        self.mail_from.clear();
        self.recipients.clear();
        self.headers.clear();
        self.body.clear();
        self.mail_started = None;
    }

    /// Reassembles the message as received: the headers Postfix passed, a blank line and the body.
    fn raw_message(&self) -> Vec<u8> {
        let mut raw = Vec::with_capacity(self.body.len() + self.headers.len() * 64 + 2);
        for (name, value) in &self.headers {
            raw.extend_from_slice(name.as_bytes());
            raw.extend_from_slice(b": ");
            raw.extend_from_slice(crlf(value).as_bytes());
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(b"\r\n");
        raw.extend_from_slice(&self.body);
        raw
    }

    async fn finish(&mut self) -> Result<ModificationResponse, SessionError> {
        let started = Instant::now();
        let raw = self.raw_message();
        let envelope = Envelope {
            queue_id: self.queue_id.clone(),
            mail_from: self.mail_from.clone(),
            recipients: self.recipients.clone(),
        };
        let headers = std::mem::take(&mut self.headers);
        let shared = Arc::clone(&self.shared);
        let timeout = shared.config.timeout;

        let job = {
            let shared = Arc::clone(&shared);
            tokio::task::spawn_blocking(move || process(&shared.config, raw, &envelope))
        };
        let outcome = match tokio::time::timeout(timeout, job).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(join_error)) => {
                return Ok(fail(
                    &shared.config,
                    &headers,
                    &format!("analysis failed: {join_error}"),
                    &self.queue_id,
                ));
            }
            Err(_) => {
                let reason = format!("analysis timed out after {} ms", timeout.as_millis());
                return Ok(fail(&shared.config, &headers, &reason, &self.queue_id));
            }
        };

        // The log is written after the timeout, so no action is recorded for a message that got the error reply.
        let log_shared = Arc::clone(&shared);
        let (outcome, logged) = tokio::task::spawn_blocking(move || {
            let logged = record(&log_shared, &outcome);
            (outcome, logged)
        })
        .await
        .map_err(|e| SessionError::Log(e.to_string()))?;
        if let Err(error) = logged {
            tracing::error!(queue_id = %self.queue_id, %error, "cannot record the message actions");
            return Ok(fail(
                &shared.config,
                &headers,
                &format!("the action log failed: {error}"),
                &self.queue_id,
            ));
        }
        let response = respond(&headers, &outcome);
        // bench/milter.sh reads these two durations: end of message to reply, and MAIL FROM to reply.
        tracing::debug!(
            queue_id = %self.queue_id,
            class = %outcome.class,
            score = outcome.score,
            end_of_message_us = started.elapsed().as_micros() as u64,
            since_mail_us = self.mail_started.map_or(0, |t| t.elapsed().as_micros() as u64),
            "message answered"
        );
        Ok(response)
    }
}

#[async_trait]
impl Milter for Session {
    type Error = SessionError;

    async fn macro_(&mut self, macros: Macro) -> Result<(), Self::Error> {
        for (name, value) in macros.macros() {
            if name == b"i" || name == b"{i}" {
                self.queue_id = String::from_utf8_lossy(value).trim_matches('\0').to_owned();
            }
        }
        Ok(())
    }

    async fn mail(&mut self, mail: Mail) -> Result<Action, Self::Error> {
        let queue_id = std::mem::take(&mut self.queue_id);
        self.reset();
        self.queue_id = queue_id;
        self.mail_from = mail.sender().trim().trim_start_matches('<').trim_end_matches('>').to_owned();
        self.mail_started = Some(Instant::now());
        Ok(Continue.into())
    }

    async fn rcpt(&mut self, recipient: Recipient) -> Result<Action, Self::Error> {
        let address = recipient
            .recipient()
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_owned();
        self.recipients.push(address);
        Ok(Continue.into())
    }

    async fn header(&mut self, header: Header) -> Result<Action, Self::Error> {
        self.headers
            .push((header.name().into_owned(), header.value().into_owned()));
        Ok(Continue.into())
    }

    async fn body(&mut self, body: Body) -> Result<Action, Self::Error> {
        self.body.extend_from_slice(body.as_bytes());
        Ok(Continue.into())
    }

    async fn end_of_body(&mut self) -> Result<ModificationResponse, Self::Error> {
        let response = self.finish().await;
        self.reset();
        response
    }

    async fn abort(&mut self) -> Result<(), Self::Error> {
        self.reset();
        Ok(())
    }
}

/// Turns bare line feeds inside a folded header value into CRLF.
fn crlf(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut previous = '\0';
    for c in value.chars() {
        if c == '\n' && previous != '\r' {
            out.push('\r');
        }
        out.push(c);
        previous = c;
    }
    out
}

/// The milter's decisions on one message and the changes they make.
struct Outcome {
    class: String,
    score: u32,
    factors: Vec<String>,
    plan: MessagePlan,
    /// The result of each action carried out: on success, what undoing it needs.
    results: HashMap<String, Result<Value, String>>,
    /// Top-level headers to set because the top-level part was replaced.
    header_changes: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    junk: bool,
    quarantine: Option<String>,
}

/// Analyses the message, plans its actions and prepares the changes. Writes nothing.
fn process(config: &MilterConfig, raw: Vec<u8>, envelope: &Envelope) -> Outcome {
    let inspection = inspect(raw.clone(), envelope, &config.tenant, &config.analysis);
    let mut plan = plan_message(&inspection.findings, &config.policy);
    hold_in_confirm_mode(&mut plan);

    let mut outcome = Outcome {
        class: inspection.findings.class.clone(),
        score: inspection.findings.score,
        factors: top_factors(&inspection.analysis),
        plan: MessagePlan::default(),
        results: HashMap::new(),
        header_changes: Vec::new(),
        body: None,
        junk: false,
        quarantine: None,
    };
    let mut rewrite_plan = RewritePlan::default();
    let mut link_actions: Vec<(&PlannedAction, String)> = Vec::new();
    let mut attachment_actions: Vec<(&PlannedAction, String)> = Vec::new();
    for action in plan
        .actions
        .iter()
        .filter(|a| a.decision == Decision::Execute)
    {
        let object = action.target.object.clone().unwrap_or_default();
        match action.kind {
            ActionKind::LockLink => match lock_url(config, &inspection.findings, action, &object) {
                Some(url) => {
                    rewrite_plan.links.insert(object.clone(), url);
                    link_actions.push((action, object));
                }
                None => {
                    let error = "no link-lock key file and base URL are configured (--link-lock-key-file, --link-lock-base)";
                    outcome
                        .results
                        .insert(action.id.clone(), Err(error.to_owned()));
                }
            },
            ActionKind::NeutraliseAttachment => {
                let evidence = action
                    .reasons
                    .iter()
                    .filter_map(|r| r.strip_prefix("evidence: "))
                    .map(str::to_owned)
                    .collect();
                rewrite_plan.attachments.insert(object.clone(), evidence);
                attachment_actions.push((action, object));
            }
            ActionKind::MoveToJunk => {
                rewrite_plan.banner = Some(format!(
                    "Warning from harrier: the sender of this message appears to be forged ({}). Do not reply with money, passwords or personal details.",
                    outcome
                        .factors
                        .first()
                        .map(|f| f.split(' ').next().unwrap_or(""))
                        .unwrap_or("spoofing")
                ));
                outcome.junk = true;
                outcome.results.insert(action.id.clone(), Ok(Value::Null));
            }
            ActionKind::HoldMessage => {
                outcome.quarantine = Some(format!(
                    "harrier {}: {} (score {})",
                    action.id, outcome.class, outcome.score
                ));
                let detail = crate::release::hold_detail(
                    &envelope.queue_id,
                    config.postfix_config_dir.as_ref(),
                );
                outcome.results.insert(action.id.clone(), Ok(detail));
            }
            kind => {
                outcome.results.insert(
                    action.id.clone(),
                    Err(format!("{kind} is not a message action")),
                );
            }
        }
    }

    if !rewrite_plan.is_empty() {
        match rewrite(&raw, &rewrite_plan) {
            Ok(Some(rewritten)) => {
                for (action, url) in &link_actions {
                    let result = if rewritten.links_rewritten.contains(url) {
                        Ok(json!({ "locked_to": rewrite_plan.links[url] }))
                    } else {
                        Err(
                            "the link is not in a text or HTML part that can be rewritten"
                                .to_owned(),
                        )
                    };
                    outcome.results.insert(action.id.clone(), result);
                }
                for (action, name) in &attachment_actions {
                    let result = if rewritten.attachments_replaced.contains(name) {
                        Ok(Value::Null)
                    } else {
                        Err(
                            "the attachment is not a MIME part that can be replaced"
                                .to_owned(),
                        )
                    };
                    outcome.results.insert(action.id.clone(), result);
                }
                outcome.header_changes = rewritten.headers;
                outcome.body = Some(rewritten.body);
            }
            Ok(None) => {
                for (action, _) in link_actions.iter().chain(&attachment_actions) {
                    outcome.results.insert(
                        action.id.clone(),
                        Err("nothing in the message matched".to_owned()),
                    );
                }
            }
            Err(error) => {
                tracing::warn!(queue_id = %envelope.queue_id, %error, "cannot rewrite the message; it is delivered unchanged");
                for (action, _) in link_actions.iter().chain(&attachment_actions) {
                    outcome
                        .results
                        .insert(action.id.clone(), Err(error.to_string()));
                }
            }
        }
    }
    outcome.plan = plan;
    outcome
}

// NOTE: a pending link lock or attachment replacement that an analyst approves later changes nothing,
// because the message was delivered; `harrier actions run` reports it as to be done by hand.
/// In the mail flow a hold is itself the wait for an analyst: in confirm mode the message is held, and
/// releasing it (`harrier actions undo`) is the decision.
fn hold_in_confirm_mode(plan: &mut MessagePlan) {
    for action in &mut plan.actions {
        if action.kind == ActionKind::HoldMessage
            && action.mode == Mode::Confirm
            && action.guard_notes.is_empty()
        {
            action.decision = Decision::Execute;
            action.guard_notes.push(
                "confirm mode in the mail flow: the message is held until an analyst releases it"
                    .to_owned(),
            );
        }
    }
}

/// Signs the link-lock URL of a link, or returns `None` without keys.
fn lock_url(
    config: &MilterConfig,
    findings: &harrier_respond::MessageFindings,
    action: &PlannedAction,
    url: &str,
) -> Option<String> {
    let lock = config.link_lock.as_ref()?;
    let claims = LinkClaims {
        url: url.to_owned(),
        tenant: findings.tenant.clone(),
        message_id: findings.message_id.clone().unwrap_or_default(),
        recipient: findings.recipient.clone().unwrap_or_default(),
        reasons: action
            .reasons
            .iter()
            .filter_map(|r| r.strip_prefix("evidence: "))
            .map(str::to_owned)
            .collect(),
        policy: LockPolicy::AllowContinue,
        expires: jiff::Timestamp::now().as_second() + lock.valid_days * 86_400,
    };
    Some(format!(
        "{}/l/{}",
        lock.base.trim_end_matches('/'),
        lock.keys.sign(&claims)
    ))
}

/// Records the plan and the result of every action carried out.
fn record(shared: &Shared, outcome: &Outcome) -> Result<(), String> {
    let mut log = shared
        .log
        .lock()
        .map_err(|_| "the action log lock is poisoned".to_owned())?;
    let now = jiff::Timestamp::now();
    // One transaction per message: the plan and the outcomes reach the disk with a single sync.
    log.in_transaction(|log| {
        let recorded: Vec<String> = log.record_new(&outcome.plan.actions, now)?.iter().map(|a| a.id.clone()).collect();
        for id in recorded {
            let Some(result) = outcome.results.get(&id) else {
                continue;
            };
            log.begin_execution(&id, now)?;
            log.record_outcome(&id, result.clone(), now)?;
        }
        Ok(())
    })
    .map_err(|e| e.to_string())
}

/// Builds the milter's reply: remove forged harrier headers, add the verdict headers, replace the body
/// and quarantine as decided.
fn respond(headers: &[(String, String)], outcome: &Outcome) -> ModificationResponse {
    let mut builder = ModificationResponse::builder();
    remove_forged_headers(&mut builder, headers);

    let factors: Vec<String> = outcome
        .factors
        .iter()
        .take(HEADER_FACTORS)
        .map(|f| f.split(' ').next().unwrap_or("").to_owned())
        .collect();
    let mut added = vec![
        ("X-Harrier-Verdict".to_owned(), outcome.class.clone()),
        ("X-Harrier-Score".to_owned(), outcome.score.to_string()),
        (
            "X-Harrier-Factors".to_owned(),
            if factors.is_empty() {
                "none".to_owned()
            } else {
                factors.join(", ")
            },
        ),
    ];
    let actions: Vec<String> = outcome
        .plan
        .actions
        .iter()
        .map(|a| format!("{} {} {}", a.kind, status(a, outcome), a.id))
        .collect();
    if !actions.is_empty() {
        added.push(("X-Harrier-Actions".to_owned(), actions.join(", ")));
    }
    if outcome.junk {
        added.push(("X-Harrier-Junk".to_owned(), "yes".to_owned()));
    }
    for (name, value) in &added {
        builder.push(AddHeader::new(name.as_bytes(), value.as_bytes()));
    }

    for (name, value) in &outcome.header_changes {
        if headers
            .iter()
            .any(|(existing, _)| existing.eq_ignore_ascii_case(name))
        {
            builder.push(ChangeHeader::new(1, name.as_bytes(), value.as_bytes()));
        } else {
            builder.push(AddHeader::new(name.as_bytes(), value.as_bytes()));
        }
    }
    if !outcome.header_changes.is_empty()
        && !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("MIME-Version"))
    {
        builder.push(AddHeader::new(b"MIME-Version", b"1.0"));
    }
    if let Some(body) = &outcome.body {
        for chunk in body.chunks(BODY_CHUNK) {
            builder.push(ReplaceBody::new(chunk));
        }
    }
    if let Some(reason) = &outcome.quarantine {
        builder.push(Quarantine::new(reason.as_bytes()));
    }
    builder.contin()
}

/// Returns the word for an action's state in `X-Harrier-Actions`.
fn status(action: &PlannedAction, outcome: &Outcome) -> &'static str {
    match (action.decision, outcome.results.get(&action.id)) {
        (Decision::Execute, Some(Ok(_))) => "done",
        (Decision::Execute, _) => "failed",
        (Decision::Observe, _) => "observed",
        (Decision::AwaitApproval, _) => "pending",
        (Decision::Blocked, _) => "blocked",
    }
}

/// Deletes every incoming header that starts with [`HEADER_PREFIX`]: `SMFIR_CHGHEADER` with an empty
/// value deletes the n-th header of that name.
fn remove_forged_headers(builder: &mut ModificationResponseBuilder, headers: &[(String, String)]) {
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut forged = Vec::new();
    for (name, _) in headers {
        let key = name.to_ascii_lowercase();
        let index = seen.entry(key.clone()).or_insert(0);
        *index += 1;
        if key.starts_with(&HEADER_PREFIX.to_ascii_lowercase()) {
            forged.push((*index, name));
        }
    }
    // Last first, so deleting one does not renumber the others of the same name.
    for (index, name) in forged.into_iter().rev() {
        builder.push(ChangeHeader::new(index, name.as_bytes(), b""));
    }
}

/// Builds the reply for a failed or timed-out analysis: accept with an error header, or tempfail.
fn fail(
    config: &MilterConfig,
    headers: &[(String, String)],
    reason: &str,
    queue_id: &str,
) -> ModificationResponse {
    tracing::warn!(%queue_id, %reason, on_error = ?config.on_error, "message not analysed");
    match config.on_error {
        OnError::Accept => {
            let mut builder = ModificationResponse::builder();
            remove_forged_headers(&mut builder, headers);
            builder.push(AddHeader::new(b"X-Harrier-Error", reason.as_bytes()));
            builder.contin()
        }
        OnError::Tempfail => ModificationResponse::builder().build(Tempfail),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use harrier_respond::{Policy, Status};
    use miltr_common::modifications::ModificationAction;

    use super::*;

    const PHISH: &str = "From: IT Desk <it@sender.example>\r\nTo: bob@recipient.example\r\nSubject: verify your account\r\n\
Message-ID: <p1@sender.example>\r\nX-Harrier-Verdict: clean\r\nContent-Type: text/html\r\n\r\n\
<html><body><p>Your mailbox will be suspended. Verify your password now.</p>\
<a href=\"http://192.0.2.44/microsoft/login\">https://login.microsoftonline.com</a></body></html>\r\n";

    fn shared(
        dir: &std::path::Path,
        policy: Policy,
        on_error: OnError,
        timeout: Duration,
    ) -> Arc<Shared> {
        let config = MilterConfig {
            data_dir: dir.to_path_buf(),
            policy,
            analysis: harrier_mail::AnalysisOptions::default(),
            link_lock: None,
            on_error,
            timeout,
            tenant: "test".to_owned(),
            postfix_config_dir: None,
        };
        Arc::new(Shared {
            log: Mutex::new(ActionLog::open(dir).expect("the log opens")),
            config,
        })
    }

    async fn feed(session: &mut Session, message: &str) -> ModificationResponse {
        session.queue_id = "4QTEST".to_owned();
        let (head, body) = message.split_once("\r\n\r\n").expect("headers and body");
        for line in head.split("\r\n") {
            let (name, value) = line.split_once(": ").expect("a header line");
            session
                .header(Header::new(name.as_bytes(), value.as_bytes()))
                .await
                .expect("header accepted");
        }
        session
            .body(Body::from(body.as_bytes()))
            .await
            .expect("body accepted");
        session.end_of_body().await.expect("the milter replies")
    }

    fn added(response: &ModificationResponse) -> Vec<String> {
        response
            .modifications()
            .iter()
            .filter_map(|m| match m {
                ModificationAction::AddHeader(h) => Some(format!("{}: {}", h.name(), h.value())),
                _ => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn observe_mode_adds_headers_only() {
        let dir = tempfile::tempdir().unwrap();
        let shared = shared(
            dir.path(),
            Policy::builtin(),
            OnError::Accept,
            Duration::from_secs(10),
        );
        let mut session = Session::new(Arc::clone(&shared));
        let response = feed(&mut session, PHISH).await;

        let headers = added(&response);
        assert!(
            headers
                .iter()
                .any(|h| h == "X-Harrier-Verdict: credential_phishing"),
            "{headers:?}"
        );
        assert!(
            headers
                .iter()
                .any(|h| h.starts_with("X-Harrier-Actions: lock_link observed")),
            "{headers:?}"
        );
        assert!(
            !response
                .modifications()
                .iter()
                .any(|m| matches!(m, ModificationAction::ReplaceBody(_))),
            "no body change"
        );
        let deleted = response.modifications().iter().any(|m| matches!(m, ModificationAction::ChangeHeader(h) if h.name() == "X-Harrier-Verdict" && h.value().is_empty()));
        assert!(deleted, "the forged verdict header is removed");

        let log = shared.log.lock().unwrap();
        let actions = log.actions().unwrap();
        assert_eq!(actions.len(), 1);
        assert_eq!(actions[0].status, Status::Observed);
        assert_eq!(actions[0].action.incident, "queue:4QTEST");
    }

    #[tokio::test]
    async fn missing_keys_fail_lock_openly() {
        let dir = tempfile::tempdir().unwrap();
        let mut policy = Policy::builtin();
        policy.modes.insert(ActionKind::LockLink, Mode::Autonomous);
        let shared = shared(dir.path(), policy, OnError::Accept, Duration::from_secs(10));
        let mut session = Session::new(Arc::clone(&shared));
        let response = feed(&mut session, PHISH).await;

        assert!(
            added(&response)
                .iter()
                .any(|h| h.starts_with("X-Harrier-Actions: lock_link failed")),
            "{:?}",
            added(&response)
        );
        let log = shared.log.lock().unwrap();
        assert_eq!(log.actions().unwrap()[0].status, Status::Failed);
    }

    #[tokio::test]
    async fn timeout_fails_open_with_header() {
        let dir = tempfile::tempdir().unwrap();
        let shared = shared(
            dir.path(),
            Policy::builtin(),
            OnError::Accept,
            Duration::ZERO,
        );
        let mut session = Session::new(Arc::clone(&shared));
        let response = feed(&mut session, PHISH).await;

        let headers = added(&response);
        assert!(
            headers
                .iter()
                .any(|h| h.starts_with("X-Harrier-Error: analysis timed out")),
            "{headers:?}"
        );
        assert!(matches!(response.final_action(), Action::Continue(_)));
        assert!(
            shared.log.lock().unwrap().actions().unwrap().is_empty(),
            "nothing is logged for an unanalysed message"
        );
    }

    #[tokio::test]
    async fn timeout_fails_closed_with_tempfail() {
        let dir = tempfile::tempdir().unwrap();
        let shared = shared(
            dir.path(),
            Policy::builtin(),
            OnError::Tempfail,
            Duration::ZERO,
        );
        let mut session = Session::new(shared);
        let response = feed(&mut session, PHISH).await;
        assert!(matches!(response.final_action(), Action::Tempfail(_)));
    }

    #[tokio::test]
    async fn mail_from_reaches_the_envelope_checks() {
        let dir = tempfile::tempdir().unwrap();
        let shared = shared(dir.path(), Policy::builtin(), OnError::Accept, Duration::from_secs(10));
        let mut session = Session::new(Arc::clone(&shared));
        session.mail(Mail::from(b"<root@localhost>".as_slice())).await.expect("MAIL FROM accepted");
        assert_eq!(session.mail_from, "root@localhost");

        let envelope = crate::inspect::Envelope {
            queue_id: "4QTEST".to_owned(),
            mail_from: session.mail_from.clone(),
            recipients: vec!["bob@recipient.example".to_owned()],
        };
        let options = harrier_mail::AnalysisOptions::default();
        let message = "From: Notas <no-reply@notas.example.com.br>\r\nTo: bob@recipient.example\r\nSubject: Nota fiscal\r\n\r\nBaixe a nota.\r\n";
        let inspection = crate::inspect::inspect(message.as_bytes().to_vec(), &envelope, "test", &options);
        let kinds: Vec<_> = inspection.analysis.factors.iter().map(|factor| factor.factor.kind).collect();
        assert!(kinds.contains(&harrier_mail::FactorKind::EnvelopeSystemAccount), "{kinds:?}");
    }
}
