//! Reading the schema files and merging each definition's `extends` chain and `$include` files.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::resolve::{self, Types};
use super::{EventClass, Schema, SchemaError};

/// Key added to a merged attribute while it comes only from a profile. OCSF keys never start with `$`
/// except `$include`, so it cannot clash with schema content.
pub(super) const PROFILE_KEY: &str = "$profile";

/// One object or event class file as read from disk.
struct RawDefinition {
    path: PathBuf,
    json: Map<String, Value>,
}

/// Attributes and constraints of a definition after merging its parents and includes.
#[derive(Clone)]
pub(super) struct Merged {
    pub(super) attributes: Map<String, Value>,
    pub(super) constraints: Map<String, Value>,
}

/// Merges definitions of one kind (objects or events) on demand, caching each result.
struct Merger<'a> {
    root: &'a Path,
    raw: BTreeMap<String, RawDefinition>,
    cache: BTreeMap<String, Merged>,
    in_progress: Vec<String>,
}

pub(super) fn load(root: &Path) -> Result<Schema, SchemaError> {
    let version = read_version(root)?;
    let dictionary_path = root.join("dictionary.json");
    let dictionary = read_object(&dictionary_path)?;
    let types = Types::from_dictionary(&dictionary, &dictionary_path)?;
    let dictionary_attributes = child_object(&dictionary, "attributes", &dictionary_path)?.clone();
    let categories = read_categories(root)?;

    let mut objects = Merger::new(root, read_definitions(&root.join("objects"))?);
    let mut events = Merger::new(root, read_definitions(&root.join("events"))?);
    let object_names: BTreeSet<String> = objects.raw.keys().cloned().collect();
    let context = resolve::Context {
        dictionary: &dictionary_attributes,
        types: &types,
        object_names: &object_names,
    };

    let mut resolved_objects = BTreeMap::new();
    for name in object_names.iter() {
        let merged = objects.merged(name)?;
        let path = objects.raw[name].path.clone();
        let caption = caption_of(&objects.raw[name].json, name);
        let definition = context.definition(name, &caption, &merged, &path)?;
        resolved_objects.insert(name.clone(), definition);
    }

    let mut classes = BTreeMap::new();
    let event_names: Vec<String> = events.raw.keys().cloned().collect();
    for name in event_names {
        if let Some(class) = resolve_class(&mut events, &context, &categories, &name)? {
            classes.insert(class.class_uid, class);
        }
    }

    Ok(Schema {
        version,
        objects: resolved_objects,
        classes,
    })
}

/// Resolves one event file, or returns `None` for a category base such as `iam` that has no `uid`.
fn resolve_class(
    events: &mut Merger<'_>,
    context: &resolve::Context<'_>,
    categories: &BTreeMap<String, i64>,
    name: &str,
) -> Result<Option<EventClass>, SchemaError> {
    let raw = &events.raw[name];
    let path = raw.path.clone();
    let caption = caption_of(&raw.json, name);
    let category = events.inherited_str(name, "category").unwrap_or_default();
    let (class_uid, category_uid) = match class_ids(raw, &category, categories)? {
        Some(ids) => ids,
        None => return Ok(None),
    };

    let merged = events.merged(name)?;
    let mut definition = context.definition(name, &caption, &merged, &path)?;
    resolve::pin_class_enums(&mut definition, class_uid, &caption);
    Ok(Some(EventClass {
        class_uid,
        category_uid,
        definition,
    }))
}

/// Returns `(class_uid, category_uid)`. `base_event` is class 0 in category 0.
fn class_ids(
    raw: &RawDefinition,
    category: &str,
    categories: &BTreeMap<String, i64>,
) -> Result<Option<(i64, i64)>, SchemaError> {
    if raw.json.get("name").and_then(Value::as_str) == Some("base_event") {
        return Ok(Some((0, 0)));
    }
    let Some(uid) = raw.json.get("uid").and_then(Value::as_i64) else {
        return Ok(None);
    };
    let Some(category_uid) = categories.get(category) else {
        let message = format!("unknown category {category:?}, expected a key of categories.json");
        return Err(SchemaError::invalid(&raw.path, message));
    };
    Ok(Some((category_uid * 1000 + uid, *category_uid)))
}

impl<'a> Merger<'a> {
    fn new(root: &'a Path, raw: BTreeMap<String, RawDefinition>) -> Self {
        Self {
            root,
            raw,
            cache: BTreeMap::new(),
            in_progress: Vec::new(),
        }
    }

    /// Merges the parent named by `extends`, then the `$include` files, then the definition's own
    /// attributes. A later definition of an attribute is deep-merged over the earlier one.
    fn merged(&mut self, name: &str) -> Result<Merged, SchemaError> {
        if let Some(done) = self.cache.get(name) {
            return Ok(done.clone());
        }
        let raw = &self.raw[name];
        let path = raw.path.clone();
        if self.in_progress.iter().any(|n| n == name) {
            return Err(SchemaError::invalid(
                path,
                format!("`extends` cycle through {name:?}"),
            ));
        }
        let parent = raw
            .json
            .get("extends")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let own = child_object(&raw.json, "attributes", &path)?.clone();
        let own_constraints = raw
            .json
            .get("constraints")
            .and_then(Value::as_object)
            .cloned();

        self.in_progress.push(name.to_owned());
        let mut merged = self.parent_merged(parent.as_deref(), &path)?;
        self.in_progress.pop();

        merge_includes(self.root, &mut merged.attributes, &own, &path)?;
        for (key, value) in own.iter().filter(|(key, _)| *key != "$include") {
            let slot = merged
                .attributes
                .entry(key.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(slot) = slot {
                slot.remove(PROFILE_KEY);
            }
            deep_merge(slot, value);
        }
        if let Some(constraints) = own_constraints {
            merged.constraints = constraints;
        }
        self.cache.insert(name.to_owned(), merged.clone());
        Ok(merged)
    }

    /// Returns a string field of the definition or, when it lacks one, of its nearest parent.
    fn inherited_str(&self, name: &str, field: &str) -> Option<String> {
        let mut current = self.raw.get(name)?;
        // The bound stops at an `extends` cycle, which `merged` reports as an error.
        for _ in 0..self.raw.len() {
            if let Some(value) = current.json.get(field).and_then(Value::as_str) {
                return Some(value.to_owned());
            }
            let parent = current.json.get("extends").and_then(Value::as_str)?;
            current = self.raw.get(parent)?;
        }
        None
    }

    fn parent_merged(&mut self, parent: Option<&str>, path: &Path) -> Result<Merged, SchemaError> {
        let Some(parent) = parent else {
            return Ok(Merged {
                attributes: Map::new(),
                constraints: Map::new(),
            });
        };
        if !self.raw.contains_key(parent) {
            return Err(SchemaError::invalid(
                path,
                format!("`extends` names unknown definition {parent:?}"),
            ));
        }
        self.merged(parent)
    }
}

/// Merges the files listed in `attributes.$include`. Attributes new to the definition that come from
/// a profile file (`"meta": "profile"`) are tagged with [`PROFILE_KEY`].
fn merge_includes(
    root: &Path,
    target: &mut Map<String, Value>,
    attributes: &Map<String, Value>,
    path: &Path,
) -> Result<(), SchemaError> {
    let Some(includes) = attributes.get("$include") else {
        return Ok(());
    };
    let Some(includes) = includes.as_array() else {
        return Err(SchemaError::invalid(
            path,
            "`$include` is not an array of file names",
        ));
    };
    for include in includes {
        let Some(relative) = include.as_str() else {
            return Err(SchemaError::invalid(
                path,
                "`$include` entry is not a string",
            ));
        };
        merge_include_file(root, target, &root.join(relative))?;
    }
    Ok(())
}

fn merge_include_file(
    root: &Path,
    target: &mut Map<String, Value>,
    path: &Path,
) -> Result<(), SchemaError> {
    let json = read_object(path)?;
    let profile = match json.get("meta").and_then(Value::as_str) {
        Some("profile") => json.get("name").and_then(Value::as_str),
        _ => None,
    };
    let attributes = child_object(&json, "attributes", path)?;
    let mut included = Map::new();
    merge_includes(root, &mut included, attributes, path)?;
    for (key, value) in attributes.iter().filter(|(key, _)| *key != "$include") {
        deep_merge(
            included
                .entry(key.clone())
                .or_insert_with(|| Value::Object(Map::new())),
            value,
        );
    }

    for (key, value) in included {
        match target.get_mut(&key) {
            Some(existing) => deep_merge(existing, &value),
            None => {
                let mut value = value;
                if let (Some(profile), Value::Object(map)) = (profile, &mut value) {
                    map.insert(PROFILE_KEY.to_owned(), Value::String(profile.to_owned()));
                }
                target.insert(key, value);
            }
        }
    }
    Ok(())
}

/// Merges `overlay` into `base`: objects merge key by key, any other value replaces the old one.
pub(super) fn deep_merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(key) {
                    Some(existing) => deep_merge(existing, value),
                    None => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, overlay) => *base = overlay.clone(),
    }
}

/// Reads every `*.json` file under `dir`, recursively, keyed by its `name` field.
fn read_definitions(dir: &Path) -> Result<BTreeMap<String, RawDefinition>, SchemaError> {
    let mut files = Vec::new();
    collect_json_files(dir, &mut files)?;
    let mut definitions = BTreeMap::new();
    for path in files {
        let json = read_object(&path)?;
        let Some(name) = json.get("name").and_then(Value::as_str).map(str::to_owned) else {
            return Err(SchemaError::invalid(path, "missing string field `name`"));
        };
        if let Some(previous) = definitions.insert(
            name.clone(),
            RawDefinition {
                path: path.clone(),
                json,
            },
        ) {
            let message = format!(
                "name {name:?} is also defined in {}",
                previous.path.display()
            );
            return Err(SchemaError::invalid(path, message));
        }
    }
    Ok(definitions)
}

fn collect_json_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), SchemaError> {
    let read_error = |source| SchemaError::Read {
        path: dir.to_owned(),
        source,
    };
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(read_error)? {
        entries.push(entry.map_err(read_error)?.path());
    }
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_json_files(&path, files)?;
        } else if path
            .extension()
            .is_some_and(|extension| extension == "json")
        {
            files.push(path);
        }
    }
    Ok(())
}

fn read_version(root: &Path) -> Result<String, SchemaError> {
    let path = root.join("version.json");
    let json = read_object(&path)?;
    match json.get("version").and_then(Value::as_str) {
        Some(version) => Ok(version.to_owned()),
        None => Err(SchemaError::invalid(path, "missing string field `version`")),
    }
}

/// Maps each category name (`findings`) to its uid (2).
fn read_categories(root: &Path) -> Result<BTreeMap<String, i64>, SchemaError> {
    let path = root.join("categories.json");
    let json = read_object(&path)?;
    let mut categories = BTreeMap::new();
    for (name, category) in child_object(&json, "attributes", &path)? {
        let Some(uid) = category.get("uid").and_then(Value::as_i64) else {
            return Err(SchemaError::invalid(
                &path,
                format!("category {name:?} has no integer `uid`"),
            ));
        };
        categories.insert(name.clone(), uid);
    }
    Ok(categories)
}

fn read_object(path: &Path) -> Result<Map<String, Value>, SchemaError> {
    let text = fs::read_to_string(path).map_err(|source| SchemaError::Read {
        path: path.to_owned(),
        source,
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|source| SchemaError::Parse {
        path: path.to_owned(),
        source,
    })?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(SchemaError::invalid(
            path,
            "top-level value is not a JSON object",
        )),
    }
}

pub(super) fn child_object<'v>(
    json: &'v Map<String, Value>,
    key: &str,
    path: &Path,
) -> Result<&'v Map<String, Value>, SchemaError> {
    match json.get(key).and_then(Value::as_object) {
        Some(child) => Ok(child),
        None => Err(SchemaError::invalid(
            path,
            format!("missing object field `{key}`"),
        )),
    }
}

fn caption_of(json: &Map<String, Value>, name: &str) -> String {
    json.get("caption")
        .and_then(Value::as_str)
        .unwrap_or(name)
        .to_owned()
}
