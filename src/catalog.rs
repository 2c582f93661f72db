//! The error-code dictionary: the API's documented codes with their status, group and meaning.

/// One documented error code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub code: String,
    pub status: u16,
    pub group: String,
    pub description: String,
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

    pub fn get(&self, code: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.code == code)
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}
