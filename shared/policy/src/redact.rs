//! Scrubbing secrets out of what Rolegate emits. Reports are built from
//! findings and summaries that should never hold an ExternalId; this is
//! the second line: every string of an outgoing event is scrubbed of every
//! secret the emitter knows about.

use serde_json::Value;

const REDACTED: &str = "[redacted]";
/// Values shorter than this are not scrubbed: they would blank out common
/// words. IAM refuses ExternalIds shorter than 2 characters; Rolegate's
/// lint demands far longer ones.
const MIN_SECRET_LEN: usize = 6;

/// The secrets one report must not carry.
#[derive(Debug, Clone, Default)]
pub struct Secrets(Vec<String>);

impl Secrets {
    pub fn new(values: impl IntoIterator<Item = String>) -> Secrets {
        let mut values: Vec<String> = values
            .into_iter()
            .filter(|v| v.len() >= MIN_SECRET_LEN)
            .collect();
        // Longest first, so a secret containing another is scrubbed whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        Secrets(values)
    }

    pub fn scrub(&self, text: &str) -> String {
        self.0.iter().fold(text.to_owned(), |t, secret| {
            t.replace(secret.as_str(), REDACTED)
        })
    }

    /// `value` with every string in it scrubbed.
    pub fn scrub_value(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.scrub(s)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.scrub_value(v)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (self.scrub(k), self.scrub_value(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_string_holding_a_secret_is_scrubbed() {
        let secrets = Secrets::new(["7Qm2xV9pLk3Rt8Wz".to_owned(), "ab".to_owned()]);
        let detail = json!({
            "Message": "trust condition sts:ExternalId = 7Qm2xV9pLk3Rt8Wz",
            "Nested": [{"7Qm2xV9pLk3Rt8Wz": "x"}],
            "Short": "ab stays: too short to be an ExternalId Rolegate accepts",
        });
        let out = secrets.scrub_value(&detail).to_string();
        assert!(!out.contains("7Qm2xV9pLk3Rt8Wz"), "{out}");
        assert!(out.contains("[redacted]"));
        assert!(out.contains("ab stays"));
    }
}
