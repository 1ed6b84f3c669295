//! The analyst web UI: HTML pages and their scripts and styles, embedded in the binary and served by the
//! API's process.
//!
//! Every page is the same HTML shell without data. Its script reads the page's path and fetches the data
//! from the API with the session cookie, sending the CSRF token from the login response on changes. A
//! page request without a valid session is redirected to `/ui/login`, so no page is served to a
//! visitor who has not logged in.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::service::App;

/// The page routes: each serves the shell to a logged-in user and redirects anyone else to the login page.
pub const PAGES: &[&str] = &[
    "/ui/incidents",
    "/ui/incidents/{id}",
    "/ui/users/{tenant}/{user}",
    "/ui/messages/{tenant}",
    "/ui/messages/{tenant}/{id}",
    "/ui/actions",
    "/ui/models",
    "/ui/tenants",
];

/// The static files: path, content type and content.
const ASSETS: &[(&str, &str, &str)] = &[
    ("/ui/app.css", "text/css; charset=utf-8", include_str!("../ui/app.css")),
    ("/ui/app.js", "text/javascript; charset=utf-8", include_str!("../ui/app.js")),
    ("/ui/charts.js", "text/javascript; charset=utf-8", include_str!("../ui/charts.js")),
    ("/ui/login.js", "text/javascript; charset=utf-8", include_str!("../ui/login.js")),
];

const SHELL: &str = include_str!("../ui/app.html");
const LOGIN: &str = include_str!("../ui/login.html");

/// The Content-Security-Policy of every response: scripts, styles and everything else only from this
/// origin, no inline script or eval, and no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the UI's routes to the API router.
pub fn routes(router: Router<Arc<App>>) -> Router<Arc<App>> {
    let mut router = router
        .route("/", get(|| async { Redirect::to("/ui/incidents") }))
        .route("/ui", get(|| async { Redirect::to("/ui/incidents") }))
        .route("/ui/", get(|| async { Redirect::to("/ui/incidents") }))
        .route("/ui/login", get(|| async { html(LOGIN) }));
    for page in PAGES {
        router = router.route(page, get(shell));
    }
    for (path, content_type, body) in ASSETS {
        router = router.route(path, get(move || async move { ([(header::CONTENT_TYPE, *content_type)], *body).into_response() }));
    }
    router
}

fn html(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body).into_response()
}

/// Serves the page shell to a logged-in user; anyone else is sent to the login page with the page to
/// return to.
async fn shell(State(app): State<Arc<App>>, request: Request) -> Response {
    let logged_in = matches!(crate::api::authenticate(&app, request.headers()), Ok(Some(_)));
    if logged_in {
        return html(SHELL);
    }
    let page = request.uri().path_and_query().map_or("/ui/incidents", |p| p.as_str());
    let next = url_encode(page);
    let mut response = Redirect::to(&format!("/ui/login?next={next}")).into_response();
    *response.status_mut() = StatusCode::SEE_OTHER;
    response
}

/// The characters a query value escapes: everything but unreserved characters and `/`, because page paths
/// hold user names and ids.
const QUERY_VALUE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

fn url_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, QUERY_VALUE).to_string()
}

/// Sets the security headers on every response, pages and API alike.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encode_keeps_path_and_escapes_rest() {
        assert_eq!(url_encode("/ui/users/contoso/a.b@x.test"), "/ui/users/contoso/a.b%40x.test");
        assert_eq!(url_encode("/ui/x?y=&z"), "/ui/x%3Fy%3D%26z");
    }

    #[test]
    fn assets_need_no_inline_script() {
        for page in [SHELL, LOGIN] {
            assert!(!page.contains("<script>"), "inline script would break the Content-Security-Policy");
            assert!(!page.contains(" style=\""), "inline style would break the Content-Security-Policy");
            assert!(!page.contains("http://") && !page.contains("https://"), "every asset comes from harrier itself");
        }
        for (path, _, body) in ASSETS {
            assert!(!body.contains("innerHTML"), "{path} builds the DOM with textContent, never innerHTML");
            assert!(!body.contains("eval("), "{path} uses no eval");
        }
    }
}
