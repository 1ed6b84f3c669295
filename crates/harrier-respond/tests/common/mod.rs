//! Helpers shared by the link-lock tests.

/// Returns the continue form's action and fields, URL-encoded, from a warning page.
pub fn continue_form(body: &str) -> (String, String) {
    let value_of = |from: usize, name: &str| {
        let start = from + body[from..].find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let end = start + body[start..].find('"').unwrap();
        (body[start..end].to_owned(), end)
    };
    let form = body.find("<form").expect("the page has a continue form");
    let (action, _) = value_of(form, "action");
    let mut fields = url::form_urlencoded::Serializer::new(String::new());
    let mut at = form;
    while let Some(offset) = body[at..].find("<input") {
        let (name, end) = value_of(at + offset, "name");
        let (value, end) = value_of(end, "value");
        fields.append_pair(&name, &value);
        at = end;
    }
    (action, fields.finish())
}
