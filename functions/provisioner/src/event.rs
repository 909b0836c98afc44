//! The CloudFormation custom resource request, read defensively: whatever
//! arrives, the stack must hear back if a ResponseURL can be found in it.

use std::fmt;

use aws_lambda_events::cloudformation::CloudFormationCustomResourceRequest as CfnRequest;
use rolegate_policy::document::json_type;
use serde_json::Value;

/// Where and for whom the response goes. The URL is a presigned S3 URL,
/// a bearer credential for the stack: it is never logged or displayed.
#[derive(Clone, PartialEq, Eq)]
pub struct ResponseTarget {
    pub response_url: String,
    pub stack_id: String,
    pub request_id: String,
    pub logical_id: String,
}

impl fmt::Debug for ResponseTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseTarget")
            .field("response_url", &"<redacted>")
            .field("stack_id", &self.stack_id)
            .field("request_id", &self.request_id)
            .field("logical_id", &self.logical_id)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Create,
    /// OldResourceProperties are not kept: the physical id (the role ARN)
    /// says what the role is now, which is what an update is measured from.
    Update {
        physical_id: String,
    },
    Delete {
        physical_id: String,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Create => "Create",
            Action::Update { .. } => "Update",
            Action::Delete { .. } => "Delete",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub action: Action,
    pub target: ResponseTarget,
    pub properties: Value,
    /// `Custom::IntegrationRole`, or `Custom::IntegrationPolicy`
    /// (`crate::policy_lifecycle`): which resource the request is for.
    pub resource_type: String,
}

/// An event the provisioner cannot act on.
#[derive(Debug, Clone, PartialEq)]
pub struct Malformed {
    /// Present when the event still says where to respond.
    pub target: Option<Box<ResponseTarget>>,
    /// The event's PhysicalResourceId, echoed back so a bad Update or
    /// Delete never looks like a replacement.
    pub physical_id: Option<String>,
    pub reason: String,
}

/// Request fields CloudFormation always sends as strings.
const STRING_FIELDS: [&str; 7] = [
    "ResponseURL",
    "StackId",
    "RequestId",
    "LogicalResourceId",
    "ResourceType",
    "ServiceToken",
    "PhysicalResourceId",
];

pub fn parse(event: Value) -> Result<Request, Malformed> {
    let target = target_of(&event);
    let physical_id = event
        .get("PhysicalResourceId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let malformed = |reason: String| Malformed {
        target: target.clone().map(Box::new),
        physical_id: physical_id.clone(),
        reason,
    };
    let Some(object) = event.as_object() else {
        return Err(malformed(format!(
            "event: must be a JSON object, found {}",
            json_type(&event)
        )));
    };
    for field in STRING_FIELDS {
        if let Some(value) = object.get(field)
            && !value.is_string()
        {
            return Err(malformed(format!(
                "{field}: must be a string, found {}",
                json_type(value)
            )));
        }
    }
    match object.get("RequestType") {
        None => return Err(malformed("RequestType: required field is missing".into())),
        Some(Value::String(t)) if matches!(t.as_str(), "Create" | "Update" | "Delete") => {}
        Some(Value::String(t)) => {
            return Err(malformed(format!(
                "RequestType: {t:?} is not one of: Create, Update, Delete"
            )));
        }
        Some(other) => {
            return Err(malformed(format!(
                "RequestType: must be a string, found {}",
                json_type(other)
            )));
        }
    }
    for field in ["ResourceProperties", "OldResourceProperties"] {
        if let Some(props) = object.get(field)
            && !props.is_object()
        {
            return Err(malformed(format!(
                "{field}: must be an object, found {}",
                json_type(props)
            )));
        }
    }
    let target = target.clone().ok_or_else(|| {
        malformed("ResponseURL, StackId, RequestId and LogicalResourceId are required".into())
    })?;
    let parsed: CfnRequest = serde_json::from_value(event)
        .map_err(|e| malformed(format!("not a CloudFormation custom resource request: {e}")))?;
    let (action, properties, resource_type) = match parsed {
        CfnRequest::Create(r) => (Action::Create, r.resource_properties, r.resource_type),
        CfnRequest::Update(r) => (
            Action::Update {
                physical_id: r.physical_resource_id,
            },
            r.resource_properties,
            r.resource_type,
        ),
        CfnRequest::Delete(r) => (
            Action::Delete {
                physical_id: r.physical_resource_id,
            },
            r.resource_properties,
            r.resource_type,
        ),
        _ => {
            return Err(malformed(
                "RequestType: not one of: Create, Update, Delete".into(),
            ));
        }
    };
    Ok(Request {
        action,
        target,
        properties,
        resource_type,
    })
}

/// The response target, when every field of it is a string.
fn target_of(event: &Value) -> Option<ResponseTarget> {
    let field = |name: &str| event.get(name).and_then(Value::as_str).map(str::to_owned);
    Some(ResponseTarget {
        response_url: field("ResponseURL")?,
        stack_id: field("StackId")?,
        request_id: field("RequestId")?,
        logical_id: field("LogicalResourceId")?,
    })
}
