//! Generated ExternalIds: the shared secret a vendor presents, drawn from
//! the OS CSPRNG when a vendor-trusting spec sets none (whether one is
//! needed, kept or drawn is decided by `rolegate_policy::reconcile::Filled`).

use thiserror::Error;

/// Generated ExternalIds are this long, from [A-Za-z0-9]: about 238 bits.
pub const EXTERNAL_ID_LENGTH: usize = 40;

/// The characters of generated ExternalIds and role name suffixes.
pub(crate) const ALPHANUMERIC: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

#[derive(Debug, Error)]
#[error("the operating system's random number generator failed: {0}")]
pub struct RandomnessError(getrandom::Error);

/// A fresh ExternalId from the OS CSPRNG. Rejection sampling keeps every
/// character equally likely.
pub fn generate_external_id() -> Result<String, RandomnessError> {
    // 248 is the largest multiple of 62 that fits a byte.
    const LIMIT: u8 = 248;
    let mut id = String::with_capacity(EXTERNAL_ID_LENGTH);
    let mut buf = [0u8; 64];
    while id.len() < EXTERNAL_ID_LENGTH {
        getrandom::getrandom(&mut buf).map_err(RandomnessError)?;
        for b in buf.iter().filter(|b| **b < LIMIT) {
            if id.len() == EXTERNAL_ID_LENGTH {
                break;
            }
            id.push(char::from(ALPHANUMERIC[usize::from(b % 62)]));
        }
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_external_ids_are_long_alphanumeric_and_distinct() {
        let a = generate_external_id().unwrap();
        let b = generate_external_id().unwrap();
        assert_eq!(a.len(), EXTERNAL_ID_LENGTH);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(rolegate_policy::limits::check_external_id(&a).is_ok());
        assert_ne!(a, b);
    }
}
