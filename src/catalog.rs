//! The error-code dictionary: the API's documented codes with their status, group and meaning,
//! plus codes from `--catalog` files.

use std::path::Path;

/// One documented error code.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub code: String,
    pub status: u16,
    pub group: String,
    pub description: String,
}

/// A catalog file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("catalog {path}: {message}")]
    Parse { path: String, message: String },
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlCatalog {
    #[serde(default)]
    code: Vec<Entry>,
}

fn parse_toml(text: &str) -> Result<Vec<Entry>, String> {
    toml::from_str::<TomlCatalog>(text)
        .map(|c| c.code)
        .map_err(|e| e.to_string().trim_end().to_owned())
}

fn parse_json(text: &str) -> Result<Vec<Entry>, String> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Doc {
        List(Vec<Entry>),
        Code { code: Vec<Entry> },
        Codes { codes: Vec<Entry> },
    }
    match serde_json::from_str::<Doc>(text) {
        Ok(Doc::List(v) | Doc::Code { code: v } | Doc::Codes { codes: v }) => Ok(v),
        Err(e) => {
            // The untagged error says little; a typed parse says where it went wrong.
            let detail = serde_json::from_str::<Vec<Entry>>(text)
                .err()
                .map_or(e.to_string(), |e| e.to_string());
            Err(format!(
                "{detail} (expected [{{\"code\", \"status\", \"group\", \"description\"}}, ...])"
            ))
        }
    }
}

/// The dictionary in force.
#[derive(Clone, Debug)]
pub struct Catalog {
    entries: Vec<Entry>,
}

const BUILTIN: &[(&str, u16, &str, &str)] = &[
    (
        "AUTH_001",
        401,
        "UNAUTHORIZED",
        "API key not found, invalid or expired",
    ),
    (
        "AUTH_002",
        401,
        "UNAUTHORIZED",
        "missing Authorization header",
    ),
    (
        "AUTH_003",
        401,
        "UNAUTHORIZED",
        "token not in `Bearer <token>` form",
    ),
    (
        "AUTH_004",
        500,
        "INTERNAL_ERROR",
        "authentication service failed",
    ),
    (
        "WABA_001",
        401,
        "UNAUTHORIZED",
        "WhatsApp (WABA) credentials missing or invalid",
    ),
    ("BILL_001", 402, "PAYMENT_REQUIRED", "insufficient balance"),
    (
        "BILL_002",
        400,
        "BAD_REQUEST",
        "no billing account for the key",
    ),
    (
        "RATE_001",
        429,
        "TOO_MANY_REQUESTS",
        "rate limit exceeded; params.retry_after says how long to wait",
    ),
];

/// The code the API answers when a key is rate limited.
pub const RATE_LIMIT_CODE: &str = "RATE_001";

impl Catalog {
    /// The API's documented dictionary.
    pub fn builtin() -> Catalog {
        Catalog {
            entries: BUILTIN
                .iter()
                .map(|&(code, status, group, description)| Entry {
                    code: code.into(),
                    status,
                    group: group.into(),
                    description: description.into(),
                })
                .collect(),
        }
    }

    /// Adds the entries of a catalog file (TOML or JSON), replacing codes already present.
    ///
    /// TOML: `[[code]]` tables with `code`, `status`, `group`, `description`. JSON: an array of
    /// such objects, or an object with a `code` (or `codes`) array.
    pub fn extend_from_file(&mut self, path: &Path) -> Result<usize, CatalogError> {
        let text = std::fs::read_to_string(path).map_err(|error| CatalogError::Read {
            path: path.display().to_string(),
            error,
        })?;
        let is_json = match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Some(true),
            Some(e) if e.eq_ignore_ascii_case("toml") => Some(false),
            _ => None,
        };
        self.extend_from_text(&path.display().to_string(), &text, is_json)
    }

    /// Adds the entries of catalog text named `name` (for messages); `is_json: None` guesses
    /// from the first characters.
    pub fn extend_from_text(
        &mut self,
        name: &str,
        text: &str,
        is_json: Option<bool>,
    ) -> Result<usize, CatalogError> {
        let is_json = is_json.unwrap_or_else(|| {
            let t = text.trim_start();
            t.starts_with('{') || t.starts_with("[{")
        });
        let parse_err = |message: String| CatalogError::Parse {
            path: name.to_owned(),
            message,
        };
        let entries = if is_json {
            parse_json(text)
        } else {
            parse_toml(text)
        }
        .map_err(parse_err)?;
        if entries.iter().any(|e| e.code.trim().is_empty()) {
            return Err(parse_err("an entry has an empty `code`".into()));
        }
        let n = entries.len();
        for e in entries {
            match self.entries.iter_mut().find(|x| x.code == e.code) {
                Some(x) => *x = e,
                None => self.entries.push(e),
            }
        }
        Ok(n)
    }

    pub fn get(&self, code: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.code == code)
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_and_json_catalogs_add_and_override() {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("c.toml");
        std::fs::write(
            &toml,
            "[[code]]\ncode = \"GW_001\"\nstatus = 400\ngroup = \"VALIDATION\"\ndescription = \"invalid recipient\"\n\n[[code]]\ncode = \"AUTH_004\"\nstatus = 503\ngroup = \"INTERNAL_ERROR\"\ndescription = \"auth down\"\n",
        )
        .unwrap();
        let mut c = Catalog::builtin();
        assert_eq!(c.extend_from_file(&toml).unwrap(), 2);
        assert_eq!(c.entries().len(), 9);
        assert_eq!(c.get("GW_001").unwrap().status, 400);
        assert_eq!(c.get("AUTH_004").unwrap().status, 503);
        let json = dir.path().join("c.json");
        std::fs::write(&json, r#"{"codes":[{"code":"AUTH_005","status":500,"group":"INTERNAL_ERROR","description":"corrupted auth data"}]}"#).unwrap();
        c.extend_from_file(&json).unwrap();
        assert_eq!(c.get("AUTH_005").unwrap().group, "INTERNAL_ERROR");
        std::fs::write(
            &json,
            r#"[{"code":"X","status":"four hundred","group":"G","description":"d"}]"#,
        )
        .unwrap();
        let err = c.extend_from_file(&json).unwrap_err().to_string();
        assert!(err.contains("c.json") && err.contains("line 1"), "{err}");
        std::fs::write(&toml, "[[code]]\ncode = \"X\"\nstatus = 400\n").unwrap();
        let err = c.extend_from_file(&toml).unwrap_err().to_string();
        assert!(
            err.contains("c.toml") && err.contains("missing field"),
            "{err}"
        );
    }
}
