//! Proof only the human can make. The shim runs as the agent's user, so any secret it could
//! read to check an approval, the agent could read too. Instead, what loosens (a grant, a
//! `disable`) is signed (Ed25519) with a key derived from the passphrase (argon2id over it and
//! a stored salt), and checked against the public key stored beside the passphrase's hash: the
//! shim can check a seal but not make one. Forging one means replacing the key itself, a
//! deliberate attack the lock closes (`/etc/guard`, root-owned); see docs/threat-model.md.

use crate::state::{hex, unhex};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

/// The public half, and the salt its private half is derived with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub salt: Vec<u8>,
    pub key: VerifyingKey,
}

impl PublicKey {
    /// `key SALT_HEX PUBLIC_HEX`, as stored after the passphrase's hash.
    pub fn to_line(&self) -> String {
        format!("key {} {}", hex(&self.salt), hex(self.key.as_bytes()))
    }

    pub fn from_line(line: &str) -> Option<PublicKey> {
        let mut words = line.split_whitespace();
        (words.next()? == "key").then_some(())?;
        let salt = unhex(words.next()?)?;
        let key: [u8; 32] = unhex(words.next()?)?.try_into().ok()?;
        (words.next().is_none() && salt.len() >= 16).then_some(())?;
        Some(PublicKey {
            salt,
            key: VerifyingKey::from_bytes(&key).ok()?,
        })
    }

    /// Whether `seal` (hex) is this key's signature of `message`.
    pub fn verifies(&self, message: &[u8], seal: &str) -> bool {
        let Some(bytes) = unhex(seal).and_then(|b| <[u8; 64]>::try_from(b).ok()) else {
            return false;
        };
        self.key
            .verify_strict(message, &Signature::from_bytes(&bytes))
            .is_ok()
    }
}

/// The private half, derived from the passphrase when a human types it.
pub struct PrivateKey(SigningKey);

impl PrivateKey {
    /// The key `passphrase` derives with `salt`.
    pub fn derive(passphrase: &str, salt: &[u8]) -> anyhow::Result<PrivateKey> {
        let mut seed = [0u8; 32];
        argon2::Argon2::default()
            .hash_password_into(passphrase.as_bytes(), salt, &mut seed)
            .map_err(|e| anyhow::anyhow!("deriving the signing key: {e}"))?;
        Ok(PrivateKey(SigningKey::from_bytes(&seed)))
    }

    /// A new key pair for `passphrase`, with a fresh salt.
    pub fn create(passphrase: &str) -> anyhow::Result<(PrivateKey, PublicKey)> {
        let salt = unhex(&crate::state::random_hex(16)).expect("hex");
        let private = PrivateKey::derive(passphrase, &salt)?;
        let public = PublicKey {
            salt,
            key: private.0.verifying_key(),
        };
        Ok((private, public))
    }

    /// The private half of `public`, if `passphrase` derives it.
    pub fn unlock(passphrase: &str, public: &PublicKey) -> Option<PrivateKey> {
        let private = PrivateKey::derive(passphrase, &public.salt).ok()?;
        (private.0.verifying_key() == public.key).then_some(private)
    }

    /// The seal of `message`, hex.
    pub fn seal(&self, message: &[u8]) -> String {
        hex(&self.0.sign(message).to_bytes())
    }
}

/// What a grant's seal covers: everything about it but how many uses are left.
pub fn grant_message(
    id: &str,
    tool: &str,
    args_hex: &[String],
    cwd_hex: &str,
    expires: u64,
) -> Vec<u8> {
    let mut m = format!("guard grant v1\0{id}\0{tool}\0{cwd_hex}\0{expires}\0").into_bytes();
    for a in args_hex {
        m.extend_from_slice(a.as_bytes());
        m.push(0);
    }
    m
}

/// What a `disable` entry's seal covers.
pub fn disable_message(id: &str) -> Vec<u8> {
    format!("guard disable v1\0{id}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seal_verifies_only_its_message_and_only_under_its_key() {
        let (private, public) = PrivateKey::create("correct horse battery").unwrap();
        let seal = private.seal(b"grant");
        assert!(public.verifies(b"grant", &seal));
        assert!(!public.verifies(b"grant2", &seal));
        assert!(!public.verifies(b"grant", "00"));
        assert!(!public.verifies(b"grant", &"ab".repeat(64)));
        let (_, other) = PrivateKey::create("correct horse battery").unwrap();
        assert!(
            !other.verifies(b"grant", &seal),
            "another salt, another key"
        );
        assert_eq!(
            PublicKey::from_line(&public.to_line()),
            Some(public.clone())
        );
        assert!(PrivateKey::unlock("correct horse battery", &public).is_some());
        assert!(PrivateKey::unlock("wrong", &public).is_none());
        assert_eq!(PublicKey::from_line("key 00 11"), None);
    }
}
