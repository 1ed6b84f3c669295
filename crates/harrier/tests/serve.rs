//! Whole-process tests of `harrier serve` over a real loopback socket. They cover authentication and roles
//! on every route, tenant scoping, the incident workflow, and action decisions with the audit log. They also
//! cover login with cookie and CSRF checks, metrics after a spool poll, graceful shutdown on SIGTERM, and
//! a restart that stores nothing twice.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

#[path = "common/process.rs"]
mod process;
#[path = "common/service.rs"]
mod service;
use process::run;
use service::*;

#[test]
fn api_roles_scoping_and_incident_workflow() {
    let dir = tempfile::tempdir().unwrap();
    let data = analysed_tenants(dir.path());
    let emulator = harrier_m365_emulator::Emulator::start("tenant-1", "client-1", "secret-1");
    let secret = dir.path().join("graph.secret");
    std::fs::write(&secret, "secret-1\n").unwrap();
    let spool = dir.path().join("spool");
    let extra = format!(
        "[[tenant]]\nid = \"contoso\"\n[tenant.m365]\ntenant_id = \"tenant-1\"\nclient_id = \"client-1\"\nclient_secret_file = {secret:?}\n\
         authority = {:?}\ngraph = {:?}\nmanagement = {:?}\n[tenant.spool]\ndir = {spool:?}\npoll_interval = \"1s\"\n\
         [[tenant]]\nid = \"fabrikam\"\n[detection]\nresponse_policy = {:?}\n",
        emulator.authority(),
        emulator.graph().trim_end_matches("/v1.0"),
        emulator.authority(),
        dir.path().join("confirm.toml"),
    );
    let config = write_config(dir.path(), &data, &extra);
    let admin = token(&data, "admin", "admin", "*");
    let analyst = token(&data, "analyst", "analyst", "contoso");
    let viewer = token(&data, "viewer", "viewer", "contoso");
    let service = Service::start(&config);
    let client = client();

    // Every route but health and login needs a token: without one, or with a wrong one, it returns 401.
    let openapi: Value = json_of(bearer(client.get(service.url("/openapi.json")), &viewer).send().unwrap());
    for (method, path) in harrier_serve::api::ROUTES {
        assert!(openapi["paths"][path][method].is_object(), "{method} {path} is missing from openapi.json");
        if ["/healthz", "/readyz", "/login"].contains(path) {
            continue;
        }
        let url = service.url(&path.replace("{id}", "x").replace("{tenant}", "contoso").replace("{user}", "u"));
        for auth in [None, Some("hrr_not_a_token")] {
            let request = if *method == "get" { client.get(&url) } else { client.request(method.to_uppercase().parse().unwrap(), &url) };
            let request = match auth {
                Some(token) => bearer(request, token),
                None => request,
            };
            let response = request.json(&json!({})).send().unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {path} with {auth:?}");
        }
    }
    let documented = openapi["paths"].as_object().unwrap().values().map(|ops| ops.as_object().unwrap().len()).sum::<usize>();
    assert_eq!(documented, harrier_serve::api::ROUTES.len(), "openapi.json lists a route the router does not serve");
    assert_eq!(client.get(service.url("/healthz")).send().unwrap().status(), StatusCode::OK);

    // Tenant scoping: the analyst's token reads contoso only, and the admin's reads both.
    let all: Value = json_of(bearer(client.get(service.url("/api/v1/incidents?limit=500")), &admin).send().unwrap());
    let tenants: std::collections::BTreeSet<&str> = all["items"].as_array().unwrap().iter().map(|i| i["tenant"].as_str().unwrap()).collect();
    assert_eq!(tenants.into_iter().collect::<Vec<_>>(), ["contoso", "fabrikam"]);
    let scoped: Value = json_of(bearer(client.get(service.url("/api/v1/incidents?limit=500")), &analyst).send().unwrap());
    let items = scoped["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|i| i["tenant"] == "contoso"), "a contoso token saw another tenant");
    assert_eq!(scoped["total"].as_u64().unwrap() * 2, all["total"].as_u64().unwrap());
    let foreign = all["items"].as_array().unwrap().iter().find(|i| i["tenant"] == "fabrikam").unwrap()["id"].as_str().unwrap().to_owned();
    let response = bearer(client.get(service.url(&format!("/api/v1/incidents/{foreign}"))), &analyst).send().unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "another tenant's incident is hidden");
    let response = bearer(client.get(service.url("/api/v1/tenants/fabrikam/messages")), &analyst).send().unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Filters, sorting and paging.
    let high: Value = json_of(bearer(client.get(service.url("/api/v1/incidents?severity=high&limit=500")), &analyst).send().unwrap());
    assert!(high["items"].as_array().unwrap().iter().all(|i| i["severity"] == "high"));
    let by_score: Value = json_of(bearer(client.get(service.url("/api/v1/incidents?sort=-score&limit=500")), &analyst).send().unwrap());
    let scores: Vec<f64> = by_score["items"].as_array().unwrap().iter().map(|i| i["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?} not sorted by score, descending");
    let page: Value = json_of(bearer(client.get(service.url("/api/v1/incidents?sort=-score&limit=1&offset=1")), &analyst).send().unwrap());
    assert_eq!(page["items"][0]["id"], by_score["items"][1]["id"]);
    let first = &by_score["items"][0];
    let id = first["id"].as_str().unwrap().to_owned();
    let model = first["models"][0].as_str().unwrap();
    let user = first["user"].as_str().unwrap();
    let filtered: Value =
        json_of(bearer(client.get(service.url(&format!("/api/v1/incidents?model={model}&user={user}&limit=500"))), &analyst).send().unwrap());
    assert!(filtered["items"].as_array().unwrap().iter().any(|i| i["id"] == id.as_str()));
    assert!(filtered["items"].as_array().unwrap().iter().all(|i| i["user"] == user));
    let response = bearer(client.get(service.url("/api/v1/incidents?sort=bogus")), &analyst).send().unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // Every bad parameter gets a 400 with a JSON error, whether it fails to parse or names no value.
    for query in ["severity=bogus", "limit=-1", "since=notatime"] {
        let response = bearer(client.get(service.url(&format!("/api/v1/incidents?{query}"))), &analyst).send().unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = response.json().expect("a JSON error");
        assert!(body["error"].is_string(), "{query}: {body}");
    }

    // Detail with the report; status, assignment and a comment round trip.
    let detail: Value = json_of(bearer(client.get(service.url(&format!("/api/v1/incidents/{id}"))), &viewer).send().unwrap());
    assert!(detail["report"].as_str().unwrap().contains(&id), "the report names the incident");
    assert_eq!(detail["state"]["status"], "new");
    let status_url = service.url(&format!("/api/v1/incidents/{id}/status"));
    let response = bearer(client.put(&status_url), &viewer).json(&json!({ "status": "investigating" })).send().unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "a viewer cannot change an incident");
    json_of(bearer(client.put(&status_url), &analyst).json(&json!({ "status": "investigating" })).send().unwrap());
    let response = bearer(client.put(&status_url), &analyst).json(&json!({ "status": "done-ish" })).send().unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    json_of(bearer(client.put(service.url(&format!("/api/v1/incidents/{id}/assignee"))), &analyst).json(&json!({ "assignee": "bob" })).send().unwrap());
    json_of(bearer(client.post(service.url(&format!("/api/v1/incidents/{id}/comments"))), &analyst).json(&json!({ "text": "checked the sign-ins" })).send().unwrap());
    let detail: Value = json_of(bearer(client.get(service.url(&format!("/api/v1/incidents/{id}"))), &viewer).send().unwrap());
    assert_eq!(detail["state"]["status"], "investigating");
    assert_eq!(detail["state"]["assignee"], "bob");
    assert_eq!(detail["comments"][0]["text"], "checked the sign-ins");
    assert_eq!(detail["comments"][0]["author"], "token:analyst");
    let investigating: Value =
        json_of(bearer(client.get(service.url("/api/v1/incidents?status=investigating&assignee=bob")), &analyst).send().unwrap());
    assert_eq!(investigating["total"], 1);
    assert_eq!(investigating["items"][0]["id"], id.as_str());

    // Breaches, models, the baseline of the incident's user.
    let breaches: Value = json_of(bearer(client.get(service.url(&format!("/api/v1/breaches?model={model}"))), &viewer).send().unwrap());
    assert!(breaches["items"].as_array().unwrap().iter().all(|b| b["model_id"] == model && b["tenant"] == "contoso"));
    let models: Value = json_of(bearer(client.get(service.url("/api/v1/models")), &viewer).send().unwrap());
    assert!(models["items"].as_array().unwrap().iter().any(|m| m["id"] == model));
    let baseline: Value = json_of(bearer(client.get(service.url(&format!("/api/v1/tenants/contoso/users/{user}/baseline"))), &viewer).send().unwrap());
    assert!(baseline["events"].as_u64().unwrap() > 0);
    let activity_url = service.url(&format!("/api/v1/tenants/contoso/users/{user}/activity?days=60"));
    let activity: Value = json_of(bearer(client.get(&activity_url), &viewer).send().unwrap());
    assert!(activity["sign_ins"].as_u64().unwrap() > 0, "{activity}");
    let heatmap_total: u64 = activity["heatmap"].as_array().unwrap().iter().flat_map(|day| day.as_array().unwrap()).map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(heatmap_total, activity["events"].as_u64().unwrap(), "the heatmap counts every event in the window");
    let country_total: u64 = activity["countries"].as_array().unwrap().iter().map(|c| c["sign_ins"].as_u64().unwrap()).sum();
    assert_eq!(country_total, activity["sign_ins"].as_u64().unwrap(), "every sign-in has a country, or unknown");
    let response = bearer(client.get(service.url(&format!("/api/v1/tenants/contoso/users/{user}/activity?days=0"))), &viewer).send().unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = bearer(client.get(service.url("/api/v1/tenants/contoso/users/nobody@contoso.com/activity")), &viewer).send().unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = bearer(client.get(service.url(&format!("/api/v1/tenants/fabrikam/users/{user}/activity"))), &analyst).send().unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "another tenant's users are hidden");

    // Actions: a pending disable_user is approved through the API, carried out against the emulated
    // tenant, and undone through the API with the tenant's Graph credentials.
    let pending: Value = json_of(bearer(client.get(service.url("/api/v1/actions?status=pending&tenant=contoso")), &analyst).send().unwrap());
    let disable = pending["items"].as_array().unwrap().iter().find(|a| a["action"]["kind"] == "disable_user").expect("a pending disable_user");
    let action_id = disable["action"]["id"].as_str().unwrap().to_owned();
    let target_user = disable["action"]["target"]["user"].as_str().unwrap().to_owned();
    emulator.with(|state| state.users.insert(target_user.clone(), json!({ "accountEnabled": true })));
    let approve_url = service.url(&format!("/api/v1/actions/{action_id}/approve"));
    assert_eq!(bearer(client.post(&approve_url), &viewer).send().unwrap().status(), StatusCode::FORBIDDEN);
    let fabrikam_actions: Value = json_of(bearer(client.get(service.url("/api/v1/actions?tenant=fabrikam")), &admin).send().unwrap());
    let fabrikam_action = fabrikam_actions["items"][0]["action"]["id"].as_str().unwrap();
    let response = bearer(client.post(service.url(&format!("/api/v1/actions/{fabrikam_action}/approve"))), &analyst).send().unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "another tenant's action is hidden");
    json_of(bearer(client.post(&approve_url), &analyst).send().unwrap());
    assert_eq!(bearer(client.post(&approve_url), &analyst).send().unwrap().status(), StatusCode::CONFLICT);
    let mut execute = harrier(&data);
    execute
        .args(["actions", "run"])
        .env("HARRIER_GRAPH_TENANT_ID", "tenant-1")
        .env("HARRIER_GRAPH_CLIENT_ID", "client-1")
        .env("HARRIER_GRAPH_CLIENT_SECRET_FILE", &secret)
        .env("HARRIER_GRAPH_AUTHORITY", emulator.authority())
        .env("HARRIER_GRAPH_ENDPOINT", emulator.graph());
    let _ = execute.output().unwrap();
    assert_eq!(emulator.with(|s| s.users[&target_user]["accountEnabled"].clone()), json!(false));
    json_of(bearer(client.post(service.url(&format!("/api/v1/actions/{action_id}/undo"))), &analyst).json(&json!({})).send().unwrap());
    assert_eq!(emulator.with(|s| s.users[&target_user]["accountEnabled"].clone()), json!(true), "the undo re-enabled the user");

    // The audit log records each change with who made it; only admins read it.
    assert_eq!(bearer(client.get(service.url("/api/v1/audit")), &analyst).send().unwrap().status(), StatusCode::FORBIDDEN);
    let audit: Value = json_of(bearer(client.get(service.url("/api/v1/audit?limit=500")), &admin).send().unwrap());
    let entries: Vec<(String, String, String)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_owned(), e["actor"].as_str().unwrap().to_owned(), e["target"].as_str().unwrap().to_owned()))
        .collect();
    for action in ["incident.status", "incident.assign", "incident.comment", "action.approve", "action.undo", "token.create"] {
        assert!(entries.iter().any(|(a, _, _)| a == action), "{action} missing from the audit log: {entries:?}");
    }
    assert!(entries.contains(&("action.undo".to_owned(), "token:analyst".to_owned(), action_id.clone())), "{entries:?}");

    // Login: the cookie works for reads; a state change needs the CSRF token and is rejected cross-site.
    add_user(&data, "alice", "analyst", "contoso", "a long test password");
    let wrong = client.post(service.url("/login")).json(&json!({ "username": "alice", "password": "wrong password!!" })).send().unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    // Password guessing against one user is cut off after five failures; other users can still log in.
    for _ in 0..4 {
        let guess = client.post(service.url("/login")).json(&json!({ "username": "mallory", "password": "guess guess guess" })).send().unwrap();
        assert_eq!(guess.status(), StatusCode::UNAUTHORIZED);
    }
    let guess = client.post(service.url("/login")).json(&json!({ "username": "mallory", "password": "guess guess guess" })).send().unwrap();
    assert_eq!(guess.status(), StatusCode::UNAUTHORIZED, "the fifth failure is still checked");
    let blocked = client.post(service.url("/login")).json(&json!({ "username": "mallory", "password": "guess guess guess" })).send().unwrap();
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    let login = client.post(service.url("/login")).json(&json!({ "username": "alice", "password": "a long test password" })).send().unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let set_cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let csrf = json_of(login)["csrf_token"].as_str().unwrap().to_owned();
    let session: Value = json_of(client.get(service.url("/api/v1/session")).header("Cookie", &cookie).send().unwrap());
    assert_eq!(session["name"], "user:alice");
    let comment_url = service.url(&format!("/api/v1/incidents/{id}/comments"));
    let no_csrf = client.post(&comment_url).header("Cookie", &cookie).json(&json!({ "text": "x" })).send().unwrap();
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN, "a cookie post without the CSRF token");
    let cross_site = client
        .post(&comment_url)
        .header("Cookie", &cookie)
        .header("X-CSRF-Token", &csrf)
        .header("Sec-Fetch-Site", "cross-site")
        .header("Origin", "https://evil.example")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("text=pwned")
        .send()
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN, "a cross-site form post");
    let other_origin = client.post(&comment_url).header("Cookie", &cookie).header("X-CSRF-Token", &csrf).header("Origin", "https://evil.example").json(&json!({ "text": "x" })).send().unwrap();
    assert_eq!(other_origin.status(), StatusCode::FORBIDDEN, "a post from another origin");
    json_of(
        client
            .post(&comment_url)
            .header("Cookie", &cookie)
            .header("X-CSRF-Token", &csrf)
            .header("Sec-Fetch-Site", "same-origin")
            .json(&json!({ "text": "seen by alice" }))
            .send()
            .unwrap(),
    );
    let detail: Value = json_of(bearer(client.get(service.url(&format!("/api/v1/incidents/{id}"))), &viewer).send().unwrap());
    let authors: Vec<&str> = detail["comments"].as_array().unwrap().iter().map(|c| c["author"].as_str().unwrap()).collect();
    assert_eq!(authors, ["token:analyst", "user:alice"]);
    let logout = client.post(service.url("/logout")).header("Cookie", &cookie).header("X-CSRF-Token", &csrf).send().unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let ended = client.get(service.url("/api/v1/session")).header("Cookie", &cookie).send().unwrap();
    assert_eq!(ended.status(), StatusCode::UNAUTHORIZED, "the session ended at logout");

    // A spooled file is stored and counted in the metrics.
    let metric = |text: &str, name: &str| -> f64 {
        text.lines().filter(|l| l.starts_with(name)).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum()
    };
    let response = bearer(client.get(service.url("/metrics")), &viewer).send().unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "metrics of every tenant need a token for every tenant");
    let before = bearer(client.get(service.url("/metrics")), &admin).send().unwrap().text().unwrap();
    // Written under a skipped name and renamed, so the spool never reads a half-copied file.
    std::fs::copy(repo().join("testdata/saas/synthetic/management_activity_exchange.json"), spool.join("exchange.json.partial")).unwrap();
    std::fs::rename(spool.join("exchange.json.partial"), spool.join("exchange.json")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let after = loop {
        let text = bearer(client.get(service.url("/metrics")), &admin).send().unwrap().text().unwrap();
        if metric(&text, "harrier_events_stored_total{") > metric(&before, "harrier_events_stored_total{") {
            break text;
        }
        assert!(Instant::now() < deadline, "the spooled file was not stored:\n{text}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(metric(&after, "harrier_polls_total{") > metric(&before, "harrier_polls_total{"));
    assert!(spool.join("done/exchange.json").exists(), "the stored file moved to done/");

    assert!(service.terminate().success(), "serve exits 0 on SIGTERM");
}

#[test]
fn spool_survives_restart_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let spool = dir.path().join("spool");
    std::fs::create_dir_all(&spool).unwrap();
    let extra = format!("[[tenant]]\nid = \"contoso\"\n[tenant.spool]\ndir = {spool:?}\npoll_interval = \"200ms\"\n");
    let config = write_config(dir.path(), &data, &extra);
    let viewer = token(&data, "viewer", "viewer", "*");
    let fixtures = repo().join("testdata/saas/synthetic");
    std::fs::copy(fixtures.join("management_activity_exchange.json"), spool.join("a.json")).unwrap();
    std::fs::copy(repo().join("testdata/mail/macro-xlsm.eml"), spool.join("macro-xlsm.eml")).unwrap();
    // A file still being written is skipped.
    std::fs::copy(fixtures.join("management_activity_sharepoint.jsonl"), spool.join("b.jsonl.partial")).unwrap();

    let metric = |service: &Service, name: &str| -> f64 {
        let text = bearer(client().get(service.url("/metrics")), &viewer).send().unwrap().text().unwrap();
        text.lines().filter(|l| l.starts_with(name)).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum()
    };
    let stored = |service: &Service| metric(service, "harrier_events_stored_total{");
    let wait_done = |name: &str| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !spool.join("done").join(name).exists() {
            assert!(Instant::now() < deadline, "{name} was not moved to done/");
            std::thread::sleep(Duration::from_millis(100));
        }
    };

    let service = Service::start(&config);
    wait_done("a.json");
    let first = stored(&service);
    assert!(first > 0.0, "the spooled file stored events");
    let deadline = Instant::now() + Duration::from_secs(60);
    while metric(&service, "harrier_events_analysed_total") < first {
        assert!(Instant::now() < deadline, "the stored events were not analysed");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(spool.join("b.jsonl.partial").exists(), "a partial file is left alone");
    wait_done("macro-xlsm.eml");
    let messages: Value = json_of(bearer(client().get(service.url("/api/v1/tenants/contoso/messages")), &viewer).send().unwrap());
    let items = messages["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{messages}");
    assert_eq!(items[0]["message"]["verdict"]["class"], "malware", "{messages}");
    let clean: Value = json_of(bearer(client().get(service.url("/api/v1/tenants/contoso/messages?class=clean")), &viewer).send().unwrap());
    assert_eq!(clean["items"].as_array().unwrap().len(), 0);
    let id = items[0]["id"].as_str().unwrap();
    let message: Value = json_of(bearer(client().get(service.url(&format!("/api/v1/tenants/contoso/messages/{id}"))), &viewer).send().unwrap());
    assert_eq!(message["message"]["verdict"]["class"], "malware", "{message}");
    assert_eq!(message["id"], id);
    let missing = bearer(client().get(service.url("/api/v1/tenants/contoso/messages/no-such-record")), &viewer).send().unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(service.terminate().success());

    // After a restart the same records arrive again under a new name: the store keeps one copy of each.
    std::fs::copy(fixtures.join("management_activity_exchange.json"), spool.join("a-again.json")).unwrap();
    std::fs::rename(spool.join("b.jsonl.partial"), spool.join("b.jsonl")).unwrap();
    let service = Service::start(&config);
    wait_done("a-again.json");
    wait_done("b.jsonl");
    std::thread::sleep(Duration::from_millis(500));
    let second = stored(&service);
    assert!(second > 0.0, "the completed file stored its events");
    let events_a = first;
    let expected_b = run(harrier(&dir.path().join("other")).args(["replay", "--no-analyse", "--no-progress", "--json"]).arg(fixtures.join("management_activity_sharepoint.jsonl")));
    let expected_b: Value = serde_json::from_str(&expected_b).unwrap();
    assert_eq!(second, expected_b["records"]["stored"].as_f64().unwrap(), "only b's events are new after the restart (a stored {events_a})");
    assert!(service.terminate().success());
}

#[test]
fn config_check_names_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let check = |path: &Path| {
        let output = Command::new(env!("CARGO_BIN_EXE_harrier"))
            .args(["config", "check"])
            .arg(path)
            .env("HARRIER_EXAMPLE_CLIENT_SECRET", "example")
            .env_remove("HARRIER_UNSET_SECRET")
            .output()
            .unwrap();
        (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
    };

    let (code, stdout, stderr) = check(&repo().join("examples/harrier.toml"));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("is valid"), "{stdout}");

    let unknown = dir.path().join("unknown.toml");
    std::fs::write(&unknown, "data_dir = \"d\"\n\n[api]\nlisten = \"127.0.0.1:8443\"\nsecure_cookie = false\n").unwrap();
    let (code, _, stderr) = check(&unknown);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("unknown.toml:5:"), "{stderr}");
    assert!(stderr.contains("secure_cookie"), "{stderr}");

    let secret = dir.path().join("secret.toml");
    std::fs::write(
        &secret,
        "data_dir = \"d\"\n[[tenant]]\nid = \"a\"\n[tenant.m365]\ntenant_id = \"t\"\nclient_id = \"c\"\nclient_secret_env = \"HARRIER_UNSET_SECRET\"\n",
    )
    .unwrap();
    let (code, _, stderr) = check(&secret);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("secret.toml:7: tenant[0].m365.client_secret_env: environment variable HARRIER_UNSET_SECRET is not set"), "{stderr}");

    let missing_file = dir.path().join("file.toml");
    std::fs::write(&missing_file, "data_dir = \"d\"\n[[tenant]]\nid = \"a\"\n[tenant.m365]\ntenant_id = \"t\"\nclient_id = \"c\"\nclient_secret_file = \"nowhere.secret\"\n").unwrap();
    let (code, _, stderr) = check(&missing_file);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("tenant[0].m365.client_secret_file: cannot read"), "{stderr}");
    assert!(stderr.contains("nowhere.secret"), "{stderr}");
}

#[test]
fn link_lock_and_milter_start_with_service() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let keys = dir.path().join("link-keys.toml");
    std::fs::write(&keys, "[[key]]\nid = \"k1\"\nsecret = \"c2VjcmV0LWEtc2VjcmV0LWEtc2VjcmV0LWEtc2VjcmV0LWE=\"\n").unwrap();
    let extra = format!(
        "[linklock]\nlisten = \"127.0.0.1:0\"\nkey_file = {keys:?}\n\
         [milter]\nlisten = \"127.0.0.1:0\"\ntenant = \"contoso\"\nlink_lock_base = \"http://127.0.0.1:8180\"\n"
    );
    let config = write_config(dir.path(), &data, &extra);
    let service = Service::start(&config);
    let address = |name: &str| service.others.iter().find(|(n, _)| n == name).map(|(_, a)| a.clone()).unwrap_or_else(|| panic!("no {name} in {:?}", service.others));

    // A forged token gets the link-lock endpoint's 400, which shows it is the link-lock router answering.
    let link_lock = address("link-lock");
    let forged = client().get(format!("{link_lock}abc.k1.def")).send().unwrap();
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    assert!(std::net::TcpStream::connect(address("milter")).is_ok(), "the milter accepts connections");
    assert!(service.terminate().success());
}

/// Reads a counter or gauge from `/metrics`, summed over every label set whose labels contain `labels`.
fn metric(service: &Service, token: &str, name: &str, labels: &str) -> f64 {
    let text = bearer(client().get(service.url("/metrics")), token).send().unwrap().text().unwrap();
    text.lines()
        .filter(|line| line.starts_with(name) && line[name.len()..].starts_with(['{', ' ']) && line.contains(labels))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Waits until `done` returns true, polling every 200 ms, and panics with `what` after `limit`.
fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn collector_feeds_incidents_and_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    let data = dir.path().join("data");
    let today = jiff::tz::TimeZone::UTC.to_datetime(jiff::Timestamp::now()).date();
    let start = today.saturating_sub(jiff::Span::new().days(6)).to_string();
    run(harrier(&data).args(["simulate", "--users", "30", "--days", "6", "--seed", "3", "--start", &start, "--out"]).arg(&sim));

    // The attacks' records are held back, so they reach the emulator only once the service has caught up.
    let labels: Value = serde_json::from_str(&std::fs::read_to_string(sim.join("labels.json")).unwrap()).unwrap();
    let labels = labels["scenarios"].as_array().expect("labels.json lists scenarios");
    let attack_ids: std::collections::BTreeSet<String> = labels
        .iter()
        .filter(|label| label["kind"] == "attack")
        .flat_map(|label| label["steps"].as_array().unwrap().iter())
        .flat_map(|step| step["record_ids"].as_array().unwrap().iter().map(|id| id.as_str().unwrap().to_owned()))
        .collect();
    assert!(!attack_ids.is_empty(), "the simulation injected attacks");
    let emulator = harrier_m365_emulator::Emulator::start("tenant-1", "client-1", "secret-1");
    let held_back: Vec<(String, Vec<Value>)> = emulator.with(|state| {
        state.activity.load_simulated(&sim).unwrap();
        let mut held = Vec::new();
        for blob in &mut state.activity.blobs {
            let (attack, benign): (Vec<Value>, Vec<Value>) =
                blob.records.drain(..).partition(|record| attack_ids.contains(record["Id"].as_str().unwrap_or_default()));
            blob.records = benign;
            if !attack.is_empty() {
                held.push((blob.content_type.clone(), attack));
            }
        }
        let sign_ins = std::mem::take(&mut state.activity.sign_ins);
        let (attack, benign): (Vec<Value>, Vec<Value>) =
            sign_ins.into_iter().partition(|record| attack_ids.contains(record["id"].as_str().unwrap_or_default()));
        state.activity.sign_ins = benign;
        held.push(("signIns".to_owned(), attack));
        held
    });

    let secret = dir.path().join("m365.secret");
    std::fs::write(&secret, "secret-1\n").unwrap();
    let extra = format!(
        "[[tenant]]\nid = \"contoso\"\n[tenant.m365]\ntenant_id = \"tenant-1\"\nclient_id = \"client-1\"\nclient_secret_file = {secret:?}\n\
         authority = {:?}\ngraph = {:?}\nmanagement = {:?}\n\
         [tenant.collect]\nmanagement_activity = true\nsign_ins = true\ndirectory_audits = true\npoll_interval = \"2s\"\n",
        emulator.authority(),
        emulator.graph().trim_end_matches("/v1.0"),
        emulator.authority(),
    );
    let config = write_config(dir.path(), &data, &extra);
    let admin = token(&data, "admin", "admin", "*");
    let incidents = |service: &Service| -> Vec<String> {
        let list: Value = json_of(bearer(client().get(service.url("/api/v1/incidents?limit=500")), &admin).send().unwrap());
        let items = list["items"].as_array().expect("the list has items");
        items.iter().map(|incident| incident["id"].as_str().unwrap().to_owned()).collect()
    };
    let polls = |service: &Service| metric(service, &admin, "harrier_polls_total", "source=\"m365\"");

    let service = Service::start(&config);
    wait_for(Duration::from_secs(300), "two collector polls", || polls(&service) >= 2.0);
    let stored = metric(&service, &admin, "harrier_events_stored_total", "source=\"m365\"");
    assert!(stored > 0.0, "the collector stored the benign history");
    let before: std::collections::BTreeSet<String> = incidents(&service).into_iter().collect();

    // The attack arrives; the next complete poll collects it and analysis raises an incident.
    let pushed_at = polls(&service);
    emulator.with(|state| {
        let now = jiff::Timestamp::now();
        for (content_type, records) in held_back {
            if content_type == "signIns" {
                state.activity.sign_ins.extend(records);
            } else {
                state.activity.add_blob(&content_type, now, records);
            }
        }
    });
    let mut raised = Vec::new();
    wait_for(Duration::from_secs(300), "an incident from the attack", || {
        raised = incidents(&service).into_iter().filter(|id| !before.contains(id)).collect();
        !raised.is_empty()
    });
    let polls_taken = polls(&service) - pushed_at;
    assert!(polls_taken <= 2.0, "the incident took {polls_taken} polls after the attack arrived");
    // The attack's audit records are older than benign events analysed before them.
    assert!(metric(&service, &admin, "harrier_late_events_analysed_total", "") > 0.0);

    assert!(service.terminate().success());
    let store = harrier_store::Store::open(&data).unwrap();
    let count = store.event_count(None).unwrap();
    drop(store);

    // After a restart the checkpoints hold: nothing is stored twice and nothing new is missed.
    let service = Service::start(&config);
    wait_for(Duration::from_secs(120), "two polls after the restart", || polls(&service) >= 2.0);
    assert_eq!(metric(&service, &admin, "harrier_events_stored_total", "source=\"m365\""), 0.0);
    assert!(service.terminate().success());
    let store = harrier_store::Store::open(&data).unwrap();
    assert_eq!(store.event_count(None).unwrap(), count, "a restart stored events again");
}
