//! CloudWatch metrics as embedded metric format (EMF) lines: each function's
//! counts and timings, printed to standard output as one JSON object a line,
//! from which CloudWatch Logs extracts the metrics. No API call and no IAM
//! permission: it is a log line.
//!
//! [`emf_json`] is the pure builder (a [`MetricLine`], the function's name
//! and a time in, the JSON text out); [`Metrics`] is the writer the handlers
//! hold: it prints each line raw on stdout, never inside a tracing event (an
//! EMF object wrapped in a log line's field is not extracted), and regardless
//! of the log level (`LogLevel` ERROR must not silence a metric). Tests
//! capture what it would print instead.
//!
//! Every metric is under [`NAMESPACE`] with the function as its first
//! dimension. Dimensions are kept small and bounded (an action, a status, a
//! finding code); a role name or an account goes in a property, which is
//! logged with the metric but does not make one (each distinct dimension
//! value is a metric CloudWatch bills).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

/// The CloudWatch namespace of every Rolegate metric.
pub const NAMESPACE: &str = "Rolegate";

/// The dimension naming the function that emitted a metric: its deployed
/// name, as `AWS/Lambda`'s own `FunctionName` dimension has it.
pub const FUNCTION_DIMENSION: &str = "FunctionName";

/// Lambda sets the deployed function's name here.
pub const FUNCTION_NAME_VARIABLE: &str = "AWS_LAMBDA_FUNCTION_NAME";

/// The CloudWatch units Rolegate's metrics use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    pub fn name(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// One EMF document: metrics that share their dimension values, with the
/// dimension sets each is published under, and properties that only ride
/// along in the log event.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricLine {
    /// Dimension names and values, after the function's.
    pub dimensions: Vec<(&'static str, String)>,
    /// Each set is the function's dimension followed by these names (all of
    /// them in `dimensions`); the first set is every dimension.
    pub dimension_sets: Vec<Vec<&'static str>>,
    pub metrics: Vec<(&'static str, Unit, u64)>,
    pub properties: Vec<(&'static str, Value)>,
}

impl MetricLine {
    /// A line with the function's dimension only.
    pub fn new() -> MetricLine {
        MetricLine {
            dimensions: Vec::new(),
            dimension_sets: vec![Vec::new()],
            metrics: Vec::new(),
            properties: Vec::new(),
        }
    }

    /// Adds a dimension to the full set. Its values must be few (a fixed
    /// vocabulary), never a name or an id.
    pub fn dimension(mut self, name: &'static str, value: impl Into<String>) -> MetricLine {
        self.dimensions.push((name, value.into()));
        if let Some(full) = self.dimension_sets.first_mut() {
            full.push(name);
        }
        self
    }

    /// Also publishes the metrics under the function's dimension and
    /// `names` alone (a roll-up an alarm can watch without naming every
    /// value of the other dimensions).
    pub fn rollup(mut self, names: &[&'static str]) -> MetricLine {
        self.dimension_sets.push(names.to_vec());
        self
    }

    pub fn count(mut self, name: &'static str, value: u64) -> MetricLine {
        self.metrics.push((name, Unit::Count, value));
        self
    }

    pub fn milliseconds(mut self, name: &'static str, value: u64) -> MetricLine {
        self.metrics.push((name, Unit::Milliseconds, value));
        self
    }

    /// A value logged with the metrics and not a dimension: where a role
    /// name, an ARN or a request id belongs.
    pub fn property(mut self, name: &'static str, value: impl Into<Value>) -> MetricLine {
        self.properties.push((name, value.into()));
        self
    }
}

impl Default for MetricLine {
    fn default() -> Self {
        MetricLine::new()
    }
}

/// The EMF JSON text of `line` (one line, no newline), as emitted by
/// `function` at `timestamp_ms` (milliseconds since the epoch): the
/// `_aws` metadata (Timestamp, one directive under [`NAMESPACE`] with the
/// dimension sets and each metric's name and unit), then the dimension
/// values, the properties and the metric values at top level. A property
/// or dimension named like a metric or `_aws` is left out rather than
/// overwrite it.
pub fn emf_json(line: &MetricLine, function: &str, timestamp_ms: u64) -> String {
    let dimension_sets: Vec<Value> = line
        .dimension_sets
        .iter()
        .map(|set| {
            let names = std::iter::once(FUNCTION_DIMENSION).chain(set.iter().copied());
            Value::from(names.collect::<Vec<_>>())
        })
        .collect();
    let definitions: Vec<Value> = line
        .metrics
        .iter()
        .map(|(name, unit, _)| json!({"Name": name, "Unit": unit.name()}))
        .collect();
    let mut root = Map::new();
    root.insert(
        "_aws".to_owned(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": dimension_sets,
                "Metrics": definitions,
            }],
        }),
    );
    root.insert(FUNCTION_DIMENSION.to_owned(), Value::from(function));
    for (name, _, value) in &line.metrics {
        root.insert((*name).to_owned(), Value::from(*value));
    }
    let members = line
        .dimensions
        .iter()
        .map(|(name, value)| (*name, Value::from(value.as_str())))
        .chain(line.properties.iter().map(|(n, v)| (*n, v.clone())));
    for (name, value) in members {
        root.entry(name.to_owned()).or_insert(value);
    }
    Value::Object(root).to_string()
}

/// Where a function's metric lines go: stdout on Lambda, a buffer in tests.
/// Cheap to clone; clones share the buffer.
#[derive(Debug, Clone)]
pub struct Metrics {
    function: String,
    captured: Option<Arc<Mutex<Vec<String>>>>,
}

impl Metrics {
    /// Prints to stdout, naming the function as Lambda does
    /// (`AWS_LAMBDA_FUNCTION_NAME`), or `fallback` off Lambda.
    pub fn stdout(fallback: &str) -> Metrics {
        let function = std::env::var(FUNCTION_NAME_VARIABLE)
            .ok()
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| fallback.to_owned());
        Metrics {
            function,
            captured: None,
        }
    }

    /// Keeps each JSON line instead of printing it, for a test to read with
    /// [`Metrics::lines`].
    pub fn captured(function: &str) -> Metrics {
        Metrics {
            function: function.to_owned(),
            captured: Some(Arc::default()),
        }
    }

    pub fn function(&self) -> &str {
        &self.function
    }

    /// Writes each line now. A line without metrics is skipped (EMF needs
    /// at least one). A failed write to stdout is ignored: a metric is not
    /// worth failing an invocation for.
    pub fn emit(&self, lines: &[MetricLine]) {
        let timestamp_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let texts = lines
            .iter()
            .filter(|line| !line.metrics.is_empty())
            .map(|line| emf_json(line, &self.function, timestamp_ms));
        match &self.captured {
            Some(buffer) => {
                if let Ok(mut buffer) = buffer.lock() {
                    buffer.extend(texts);
                }
            }
            None => {
                let mut out = std::io::stdout().lock();
                for text in texts {
                    let _ = writeln!(out, "{text}");
                }
                let _ = out.flush();
            }
        }
    }

    /// What a captured writer has been given, as parsed JSON; empty for
    /// stdout.
    pub fn lines(&self) -> Vec<Value> {
        self.captured
            .as_ref()
            .and_then(|buffer| buffer.lock().ok().map(|b| b.clone()))
            .unwrap_or_default()
            .iter()
            .filter_map(|text| serde_json::from_str(text).ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, clippy::unwrap_used)]

    use serde_json::{Value, json};

    use super::{MetricLine, Metrics, emf_json};

    #[test]
    fn a_line_is_one_emf_object_with_the_timestamp_namespace_dimensions_units_and_values() {
        let line = MetricLine::new()
            .dimension("Action", "Create")
            .dimension("Status", "SUCCESS")
            .count("Provisioned", 1)
            .milliseconds("ProvisioningLatency", 842)
            .property("RequestId", "req-1");
        let text = emf_json(&line, "rolegate-provisioner", 1_767_225_600_000);
        assert!(!text.contains('\n'), "{text}");
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            json!({
                "_aws": {
                    "Timestamp": 1_767_225_600_000_u64,
                    "CloudWatchMetrics": [{
                        "Namespace": "Rolegate",
                        "Dimensions": [["FunctionName", "Action", "Status"]],
                        "Metrics": [
                            {"Name": "Provisioned", "Unit": "Count"},
                            {"Name": "ProvisioningLatency", "Unit": "Milliseconds"}
                        ]
                    }]
                },
                "FunctionName": "rolegate-provisioner",
                "Action": "Create",
                "Status": "SUCCESS",
                "Provisioned": 1,
                "ProvisioningLatency": 842,
                "RequestId": "req-1"
            })
        );
    }

    #[test]
    fn a_rollup_publishes_the_same_metric_under_fewer_dimensions() {
        let line = MetricLine::new()
            .dimension("Kind", "DRIFT_CHANGED")
            .rollup(&[])
            .count("DriftDetected", 2);
        let value: Value = serde_json::from_str(&emf_json(&line, "guard", 5)).unwrap();
        assert_eq!(
            value["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["FunctionName", "Kind"], ["FunctionName"]])
        );
        assert_eq!(value["Kind"], "DRIFT_CHANGED");
        assert_eq!(value["DriftDetected"], 2);
    }

    #[test]
    fn a_property_named_like_a_metric_or_the_metadata_cannot_overwrite_it() {
        let line = MetricLine::new()
            .count("Revokes", 1)
            .property("Revokes", "x")
            .property("_aws", "x")
            .property("FunctionName", "x");
        let value: Value = serde_json::from_str(&emf_json(&line, "guard", 5)).unwrap();
        assert_eq!(value["Revokes"], 1);
        assert_eq!(value["FunctionName"], "guard");
        assert_eq!(value["_aws"]["Timestamp"], 5);
    }

    #[test]
    fn a_captured_writer_keeps_each_line_with_metrics_and_skips_an_empty_one() {
        let metrics = Metrics::captured("validator");
        let clone = metrics.clone();
        clone.emit(&[MetricLine::new(), MetricLine::new().count("Validations", 3)]);
        let lines = metrics.lines();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["Validations"], 3);
        assert_eq!(lines[0]["FunctionName"], "validator");
        assert!(lines[0]["_aws"]["Timestamp"].as_u64().unwrap() > 1_700_000_000_000);
    }
}
