//! Where the vendor keeps the integrations it has heard of: one SSM
//! SecureString each, under [`STORE_PREFIX`]. Pure: names and what a
//! stored entry must agree with; the SSM calls are the handler's.
//!
//! **Keys are bound to the sender.** A registration is stored at
//! `/rolegate/integrations/<sender account>/<role account>/<role name>`,
//! where the sender account is the Ready event's envelope `account`, set
//! by EventBridge. The validator stores a registration only when the sender
//! is the role's account, so account B can write only under `<B>/<B>/`,
//! never a key that account A's integration lives under. The stored value
//! repeats the sender (`SenderAccount`), and the schedule refuses an entry
//! whose value and key disagree (a write that bypassed the validator).
//!
//! **Old keys are read, not migrated.** Before sender binding, entries were
//! stored at `/rolegate/integrations/<role account>/<role name>` (one
//! segment fewer, so the two forms never collide), keyed by the account the
//! detail claimed. Nobody can now tell who wrote them, so they are not
//! moved into the bound form: the schedule keeps validating them (their
//! outcomes carry no `SenderAccount`), and a command reads one when no
//! bound entry exists. The role's next registration (a customer's Update)
//! writes the bound entry, which then supersedes the old one: the schedule
//! skips an old entry whose role has a bound one. The validator cannot
//! delete parameters; an operator may remove superseded old entries.

use rolegate_policy::reconcile::escaped_parameter_name;

use crate::integration::Integration;

pub const STORE_PREFIX: &str = "/rolegate/integrations/";

/// The parameter of an integration registered by `sender`.
pub fn bound_name(sender: &str, role_account: &str, role_name: &str) -> String {
    escaped_parameter_name(
        &format!("{STORE_PREFIX}{sender}/{role_account}/"),
        role_name,
    )
}

/// The parameter an integration had before sender binding.
pub fn legacy_name(role_account: &str, role_name: &str) -> String {
    escaped_parameter_name(&format!("{STORE_PREFIX}{role_account}/"), role_name)
}

/// What a parameter name says about the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// `<sender>/<role account>/<role name>`.
    Bound {
        sender: String,
        role_account: String,
    },
    /// `<role account>/<role name>`, from before sender binding.
    Legacy { role_account: String },
}

/// The key form of a parameter under [`STORE_PREFIX`], or `None` for a
/// name in neither form.
pub fn key_of(parameter: &str) -> Option<Key> {
    let rest = parameter.strip_prefix(STORE_PREFIX)?;
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [sender, role_account, name] if !name.is_empty() => Some(Key::Bound {
            sender: (*sender).to_owned(),
            role_account: (*role_account).to_owned(),
        }),
        [role_account, name] if !name.is_empty() => Some(Key::Legacy {
            role_account: (*role_account).to_owned(),
        }),
        _ => None,
    }
}

/// A stored entry must agree with its key: the role in the key's account,
/// and for a bound entry the sender recorded in both and equal to it.
pub fn check_entry(parameter: &str, integration: &Integration) -> Result<Key, String> {
    let key = key_of(parameter).ok_or_else(|| {
        format!("{parameter}: not an integration key (<sender account>/<role account>/<role name>, or the older <role account>/<role name>)")
    })?;
    let target = integration
        .target()
        .map_err(|e| format!("{parameter}: {e}"))?;
    let role_account = match &key {
        Key::Bound { role_account, .. } | Key::Legacy { role_account } => role_account,
    };
    if &target.account != role_account {
        return Err(format!(
            "{parameter}: the stored RoleArn is in account {}, not the key's account {role_account}",
            target.account
        ));
    }
    if let Key::Bound { sender, .. } = &key
        && (integration.sender_account.as_deref() != Some(sender.as_str())
            || sender != role_account)
    {
        return Err(format!(
            "{parameter}: the stored integration is not bound to the sender its key names ({sender}): SenderAccount is {:?}; it was not written by a bound registration",
            integration.sender_account
        ));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "123456789012";
    const B: &str = "999988887777";

    fn integration(sender: Option<&str>) -> Integration {
        Integration {
            role_arn: "arn:aws:iam::123456789012:role/integrations/vendor+x".into(),
            external_id: "abcdef123456".into(),
            sender_account: sender.map(str::to_owned),
            vendor_tenant_id: None,
        }
    }

    #[test]
    fn a_senders_keys_never_reach_another_accounts_integrations() {
        let of_a = bound_name(A, A, "vendor+x");
        assert_eq!(
            of_a,
            "/rolegate/integrations/123456789012/123456789012/vendor_2Bx"
        );
        // Whatever B names, its keys start with B's account.
        assert!(bound_name(B, A, "vendor+x").starts_with("/rolegate/integrations/999988887777/"));
        assert_ne!(bound_name(B, A, "vendor+x"), of_a);
        // The bound and the old forms never collide.
        assert_ne!(legacy_name(A, "vendor+x"), of_a);
        assert_eq!(
            key_of(&legacy_name(A, "x")),
            Some(Key::Legacy {
                role_account: A.into()
            })
        );
        assert_eq!(
            key_of(&of_a),
            Some(Key::Bound {
                sender: A.into(),
                role_account: A.into()
            })
        );
        assert_eq!(key_of("/rolegate/integrations/a/b/c/d"), None);
    }

    #[test]
    fn a_stored_entry_must_agree_with_its_key() {
        let bound = bound_name(A, A, "vendor+x");
        assert!(check_entry(&bound, &integration(Some(A))).is_ok());
        assert!(check_entry(&legacy_name(A, "vendor+x"), &integration(None)).is_ok());
        for (parameter, stored) in [
            // A bound key whose value was written without a sender.
            (bound.clone(), integration(None)),
            // A value naming another sender than its key.
            (bound, integration(Some(B))),
            // A's role under B's key.
            (bound_name(B, B, "vendor+x"), integration(Some(B))),
            (legacy_name(B, "vendor+x"), integration(None)),
        ] {
            assert!(
                check_entry(&parameter, &stored).is_err(),
                "{parameter} {stored:?}"
            );
        }
    }
}
