//! Browser tests of the analyst web UI: headless Chromium, driven over WebDriver by chromedriver on a
//! loopback port, against a real `harrier serve` with two simulated tenants. The tests log in, work
//! through the incident, user, message, actions, models and tenants pages, and check that no page is
//! served without a session and that a cross-site form post is rejected. Each page's screenshot is
//! written to `target/ui-screenshots/`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client as Browser, Locator};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[path = "common/process.rs"]
mod process;
#[path = "common/service.rs"]
mod service;
use service::*;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const PASSWORD: &str = "a long test password";

/// Returns why the browser tests cannot run here, or `None` when they can. Under `CI=true` a missing
/// browser is a failure, not a skip.
fn skip_reason() -> Option<String> {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER].into_iter().filter(|path| !Path::new(path).exists()).collect();
    let reason = (!missing.is_empty())
        .then(|| format!("{} not found; install the Debian packages chromium and chromium-driver (scripts/install-deps.sh)", missing.join(" and ")));
    if let Some(reason) = &reason
        && std::env::var("CI").is_ok_and(|v| v == "true")
    {
        panic!("CI=true and the browser tests cannot run: {reason}");
    }
    reason
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// chromedriver on a loopback port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Driver {
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen on port {port} within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver { child, url: format!("http://127.0.0.1:{port}") }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Chromium's options: headless, and with every feature that calls a Google service turned off, so the
/// browser loads only the loopback pages the test opens.
fn capabilities() -> serde_json::Map<String, Value> {
    let mut args = vec![
        "--headless=new",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
        "--metrics-recording-only",
        "--no-pings",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1600",
        // Every host but 127.0.0.1 fails to resolve, so only the loopback servers can load.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ];
    // Chromium's sandbox refuses to start as root.
    if uid() == 0 {
        args.push("--no-sandbox");
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".to_owned(), json!("chrome"));
    capabilities.insert("goog:chromeOptions".to_owned(), json!({ "binary": CHROMIUM, "args": args }));
    capabilities
}

fn uid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(u32::MAX)
}

fn screenshot_dir() -> PathBuf {
    let dir = repo().join("target/ui-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Opens a page of the UI and waits until its script has loaded the data.
async fn open(browser: &Browser, url: &str) {
    browser.goto(url).await.unwrap();
    browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("body[data-loaded]"))
        .await
        .unwrap_or_else(|e| panic!("{url} did not finish loading: {e}"));
    let state = browser.find(Locator::Css("body")).await.unwrap().attr("data-loaded").await.unwrap();
    let text = browser.find(Locator::Css("main")).await.unwrap().text().await.unwrap();
    assert_eq!(state.as_deref(), Some("true"), "{url} failed to load: {text}");
    for broken in ["[object ", "undefined", "NaN"] {
        assert!(!text.contains(broken), "{url} shows {broken:?}: {text}");
    }
}

/// Writes a PNG of the whole page: the window grows to the page's height (at most 6000 pixels) first,
/// because WebDriver captures only the viewport.
async fn save_screenshot(browser: &Browser, name: &str) {
    let height = browser.execute("return document.documentElement.scrollHeight", vec![]).await.unwrap();
    let height = height.as_u64().unwrap_or(1600).clamp(600, 6000) as u32;
    browser.set_window_size(1400, height + 140).await.unwrap();
    let png = browser.screenshot().await.unwrap();
    browser.set_window_size(1400, 1600).await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "the screenshot of {name} is a PNG");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

async fn main_text(browser: &Browser) -> String {
    browser.find(Locator::Css("main")).await.unwrap().text().await.unwrap()
}

/// Serves one page with a form that posts to `target` from another origin, as a hostile site would.
fn serve_cross_site_form(target: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let page = format!(
            "<!doctype html><form id=f method=post action=\"{target}\" enctype=\"application/x-www-form-urlencoded\">\
             <input name=x value=1><button id=go type=submit>go</button></form>"
        );
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = std::io::Read::read(&mut stream, &mut request);
            let response = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}", page.len());
            let _ = std::io::Write::write_all(&mut stream, response.as_bytes());
        }
    });
    format!("http://{address}/")
}

#[test]
fn ui_pages_work_in_chromium() {
    if let Some(reason) = skip_reason() {
        eprintln!("skipped: {reason}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = analysed_tenants(dir.path());
    let spool = dir.path().join("spool");
    std::fs::create_dir_all(&spool).unwrap();
    std::fs::copy(repo().join("testdata/mail/macro-xlsm.eml"), spool.join("macro-xlsm.eml")).unwrap();
    let extra = format!(
        "[[tenant]]\nid = \"contoso\"\n[tenant.spool]\ndir = {spool:?}\npoll_interval = \"200ms\"\n[[tenant]]\nid = \"fabrikam\"\n\
         [detection]\nresponse_policy = {:?}\n",
        dir.path().join("confirm.toml"),
    );
    let config = write_config(dir.path(), &data, &extra);
    let admin = token(&data, "admin", "admin", "*");
    add_user(&data, "alice", "analyst", "contoso", PASSWORD);
    add_user(&data, "vera", "viewer", "contoso", PASSWORD);
    let service = Service::start(&config);
    let api = client();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !spool.join("done/macro-xlsm.eml").exists() {
        assert!(Instant::now() < deadline, "the spooled message was not stored");
        std::thread::sleep(Duration::from_millis(100));
    }

    // The data the pages should show: a contoso incident with a pending action whose user signed in within
    // the 30 days the user page charts. The spooled message's recipient may have an incident too, and their
    // latest event, the message, is dated today, after the simulated sign-ins.
    let pending: Value = json_of(bearer(api.get(service.url("/api/v1/actions?status=pending&tenant=contoso")), &admin).send().unwrap());
    let items = pending["items"].as_array().unwrap();
    let incident_of = |item: &Value| -> Value {
        let id = item["action"]["incident"].as_str().unwrap();
        json_of(bearer(api.get(service.url(&format!("/api/v1/incidents/{id}"))), &admin).send().unwrap())
    };
    let signs_in = |incident: &Value| -> bool {
        let Some(user) = incident["incident"]["user"].as_str() else { return false };
        let url = service.url(&format!("/api/v1/tenants/contoso/users/{user}/activity"));
        let activity: Value = json_of(bearer(api.get(url), &admin).send().unwrap());
        activity["sign_ins"].as_u64().is_some_and(|count| count > 0)
    };
    let (item, incident) = items
        .iter()
        .map(|item| (item, incident_of(item)))
        .find(|(_, incident)| signs_in(incident))
        .unwrap_or_else(|| panic!("no pending action of a user with sign-ins in {pending:#}"));
    let action_id = item["action"]["id"].as_str().unwrap().to_owned();
    let incident_id = item["action"]["incident"].as_str().unwrap().to_owned();
    let user = incident["incident"]["user"].as_str().expect("the incident names a user").to_owned();
    let severity = incident["incident"]["severity"].as_str().unwrap().to_owned();
    let other_action = pending["items"].as_array().unwrap().iter().map(|a| a["action"]["id"].as_str().unwrap()).find(|id| *id != action_id).unwrap().to_owned();
    let messages: Value = json_of(bearer(api.get(service.url("/api/v1/tenants/contoso/messages")), &admin).send().unwrap());
    let message_id = messages["items"][0]["id"].as_str().expect("a stored message").to_owned();

    // Without a session every page redirects to the login page and carries no data.
    let no_redirects = reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let pages = [
        "/ui/incidents".to_owned(),
        format!("/ui/incidents/{incident_id}"),
        format!("/ui/users/contoso/{user}"),
        "/ui/messages/contoso".to_owned(),
        format!("/ui/messages/contoso/{message_id}"),
        "/ui/actions".to_owned(),
        "/ui/models".to_owned(),
        "/ui/tenants".to_owned(),
    ];
    assert_eq!(pages.len(), harrier_serve::ui::PAGES.len(), "every page route is checked");
    for page in &pages {
        let response = no_redirects.get(service.url(page)).send().unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{page} without a session");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("/ui/login?next=%2Fui%2F") || location.starts_with("/ui/login?next=/ui/"), "{page} redirects to {location}");
        let body = response.text().unwrap();
        assert!(!body.contains(&incident_id), "{page} leaks an incident without a session: {body}");
        assert!(!body.contains(&user), "{page} leaks a user without a session: {body}");
        let forged = no_redirects.get(service.url(page)).header("Cookie", "harrier_session=forged").send().unwrap();
        assert_eq!(forged.status(), StatusCode::SEE_OTHER, "{page} with a forged session");
    }
    let login_page = no_redirects.get(service.url("/ui/login")).send().unwrap();
    assert_eq!(login_page.status(), StatusCode::OK);
    let csp = login_page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    for directive in ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(!csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(login_page.headers()["x-content-type-options"], "nosniff");
    assert_eq!(login_page.headers()["referrer-policy"], "no-referrer");
    let root = no_redirects.get(service.url("/")).send().unwrap();
    assert!(root.status().is_redirection(), "/ redirects to the incidents page");

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let driver = Driver::start();
    let browser = runtime.block_on(async {
        fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities())
            .connect(&driver.url)
            .await
            .expect("chromedriver starts Chromium")
    });
    let base = service.base.clone();

    let session_cookie = runtime.block_on(async {
        // An incidents link without a session lands on the login page, and logging in returns to it.
        browser.goto(&format!("{base}/ui/incidents?severity={severity}")).await.unwrap();
        browser.wait().for_element(Locator::Id("login")).await.unwrap();
        assert!(browser.current_url().await.unwrap().path() == "/ui/login");
        save_screenshot(&browser, "login").await;
        browser.find(Locator::Id("username")).await.unwrap().send_keys("alice").await.unwrap();
        browser.find(Locator::Id("password")).await.unwrap().send_keys("wrong password!!").await.unwrap();
        browser.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
        let error = browser.find(Locator::Id("error")).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while error.text().await.unwrap().is_empty() {
            assert!(Instant::now() < deadline, "a wrong password shows no error");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(error.text().await.unwrap().contains("wrong user name or password"));
        let password = browser.find(Locator::Id("password")).await.unwrap();
        password.clear().await.unwrap();
        password.send_keys(PASSWORD).await.unwrap();
        browser.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
        browser.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css("body[data-loaded='true']")).await.unwrap();
        let url = browser.current_url().await.unwrap();
        assert_eq!(url.path(), "/ui/incidents");
        assert_eq!(url.query(), Some(format!("severity={severity}").as_str()), "login returns to the requested page");

        // The incident list: the severity filter applies, and the list links to the incident.
        let severities = browser.find_all(Locator::Css("tbody .badge[class*='sev-']")).await.unwrap();
        assert!(!severities.is_empty(), "{severity} incidents are listed");
        for badge in &severities {
            assert_eq!(badge.text().await.unwrap(), severity);
        }
        open(&browser, &format!("{base}/ui/incidents?sort=-score")).await;
        save_screenshot(&browser, "incidents").await;
        let text = main_text(&browser).await;
        assert!(!text.contains("fabrikam"), "alice sees contoso only");

        // An incident: the report, timeline and evidence show, and the pending action is approved.
        open(&browser, &format!("{base}/ui/incidents/{incident_id}")).await;
        let report = browser.find(Locator::Id("report")).await.unwrap().text().await.unwrap();
        assert!(report.contains(&incident_id), "the report names the incident");
        let dots = browser.find_all(Locator::Css("svg.chart circle")).await.unwrap();
        assert_eq!(dots.len(), incident["breaches"].as_array().unwrap().len(), "one timeline point per breach");
        save_screenshot(&browser, "incident").await;
        let approve = format!("button[data-action='{action_id}'][data-verb='approve']");
        browser.find(Locator::Css(&approve)).await.unwrap().click().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !browser.find_all(Locator::Css(&approve)).await.unwrap().is_empty() {
            assert!(Instant::now() < deadline, "the approve button stayed after approving");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Status and a comment with markup, which must show as text.
        let status = browser.find(Locator::Id("status")).await.unwrap();
        status.select_by_value("investigating").await.unwrap();
        browser.find(Locator::Id("save-status")).await.unwrap().click().await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        browser.find(Locator::Id("comment")).await.unwrap().send_keys("<img src=x id=injected> checked").await.unwrap();
        browser.find(Locator::Id("add-comment")).await.unwrap().click().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !main_text(&browser).await.contains("<img src=x id=injected> checked") {
            assert!(Instant::now() < deadline, "the comment did not show as text");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(browser.find_all(Locator::Id("injected")).await.unwrap().is_empty(), "a comment's markup was parsed");
        save_screenshot(&browser, "incident-approved").await;

        // The user's pattern of life: charts of sign-in sources and the weekday-by-hour heatmap.
        open(&browser, &format!("{base}/ui/users/contoso/{user}")).await;
        let cells = browser.find_all(Locator::Css("#heatmap svg rect")).await.unwrap();
        assert_eq!(cells.len(), 7 * 24, "the heatmap has a cell per weekday and hour");
        let bars = browser.find_all(Locator::Css("#countries-chart svg rect")).await.unwrap();
        assert!(!bars.is_empty(), "the sign-in countries chart has bars");
        save_screenshot(&browser, "user").await;

        // A message with its verdict and factors.
        open(&browser, &format!("{base}/ui/messages/contoso/{message_id}")).await;
        let text = main_text(&browser).await;
        assert!(text.contains("malware"), "the verdict shows: {text}");
        save_screenshot(&browser, "message").await;

        open(&browser, &format!("{base}/ui/actions")).await;
        save_screenshot(&browser, "actions").await;
        let listed = browser.find_all(Locator::Css("button[data-verb='approve']")).await.unwrap();
        assert!(!listed.is_empty(), "the actions page lists the pending actions");
        assert!(browser.find_all(Locator::Css(&approve)).await.unwrap().is_empty(), "the approved action is no longer pending");

        open(&browser, &format!("{base}/ui/models")).await;
        save_screenshot(&browser, "models").await;
        let text = main_text(&browser).await;
        assert!(text.contains("saas.impossible_travel"), "the models page lists the models: {text}");

        open(&browser, &format!("{base}/ui/tenants")).await;
        save_screenshot(&browser, "tenants").await;
        let text = main_text(&browser).await;
        assert!(text.contains("contoso"), "alice sees her tenant: {text}");
        assert!(!text.contains("fabrikam"), "alice sees no other tenant: {text}");
        let healthy = browser.find_all(Locator::Css("tbody .badge.st-done")).await.unwrap();
        assert_eq!(healthy.len(), 1, "the spool source polled without error: {text}");

        open(&browser, &format!("{base}/ui/messages/contoso")).await;
        save_screenshot(&browser, "messages").await;
        let text = main_text(&browser).await;
        assert!(text.contains("malware"), "the message list shows the stored message: {text}");

        // A form on another origin posting to the API with the user's cookie is rejected.
        let hostile = serve_cross_site_form(format!("{base}/api/v1/actions/{other_action}/approve"));
        browser.goto(&hostile).await.unwrap();
        browser.find(Locator::Id("go")).await.unwrap().click().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut body = String::new();
        while !body.contains("error") {
            assert!(Instant::now() < deadline, "the cross-site post got no answer: {body}");
            tokio::time::sleep(Duration::from_millis(100)).await;
            body = browser.source().await.unwrap_or_default();
        }
        assert!(body.contains("cross-site request rejected") || body.contains("X-CSRF-Token"), "{body}");

        browser.get_named_cookie("harrier_session").await.unwrap().value().to_owned()
    });

    // The decisions made in the browser reached the API, under alice's name.
    let actions: Value = json_of(bearer(api.get(service.url(&format!("/api/v1/actions?incident={incident_id}"))), &admin).send().unwrap());
    let approved = actions["items"].as_array().unwrap().iter().find(|a| a["action"]["id"] == action_id.as_str()).unwrap();
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["by"], "user:alice");
    let other: Value = json_of(bearer(api.get(service.url("/api/v1/actions?status=pending&tenant=contoso")), &admin).send().unwrap());
    assert!(other["items"].as_array().unwrap().iter().any(|a| a["action"]["id"] == other_action.as_str()), "the cross-site post approved nothing");
    let detail: Value = json_of(bearer(api.get(service.url(&format!("/api/v1/incidents/{incident_id}"))), &admin).send().unwrap());
    assert_eq!(detail["state"]["status"], "investigating");

    // The same cookie in a cross-site form post, without the browser: still rejected.
    let approve_url = service.url(&format!("/api/v1/actions/{other_action}/approve"));
    let cross_site = api
        .post(&approve_url)
        .header("Cookie", format!("harrier_session={session_cookie}"))
        .header("Origin", "http://attacker.test")
        .header("Sec-Fetch-Site", "cross-site")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("x=1")
        .send()
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);

    runtime.block_on(async {
        // Logging out ends the session: the pages send the browser back to the login page.
        open(&browser, &format!("{base}/ui/tenants")).await;
        browser.find(Locator::Id("logout")).await.unwrap().click().await.unwrap();
        browser.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("login")).await.unwrap();
        browser.goto(&format!("{base}/ui/incidents/{incident_id}")).await.unwrap();
        browser.wait().for_element(Locator::Id("login")).await.unwrap();
        assert_eq!(browser.current_url().await.unwrap().path(), "/ui/login");

        // A viewer sees the pending actions but no buttons to decide them.
        browser.find(Locator::Id("username")).await.unwrap().send_keys("vera").await.unwrap();
        browser.find(Locator::Id("password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
        browser.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
        browser.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css("body[data-loaded='true']")).await.unwrap();
        open(&browser, &format!("{base}/ui/actions")).await;
        let rows = browser.find_all(Locator::Css("tbody tr")).await.unwrap();
        assert!(!rows.is_empty(), "the viewer sees the actions");
        let buttons = browser.find_all(Locator::Css("button[data-verb]")).await.unwrap();
        assert!(buttons.is_empty(), "the viewer sees {} decision buttons", buttons.len());
        browser.clone().close().await.unwrap();
    });
    let after = api.get(service.url("/api/v1/session")).header("Cookie", format!("harrier_session={session_cookie}")).send().unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED, "the session ended at logout");
}
