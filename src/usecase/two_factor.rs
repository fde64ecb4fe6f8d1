//! Two-factor sign-in with an authenticator app (TOTP, RFC 6238: SHA-1, six digits, 30-second steps, one step of
//! clock skew either way), set up by scanning a QR code drawn on the server (SVG), confirmed by a first code, with
//! ten one-time recovery codes. A code is good once (its step is spent in the database). The secret is sealed with
//! a pad derived from the deployment's key and the user's id, so a copy of the database alone does not give it.

use super::{Context, UseCaseError};
use crate::domain::FieldErrors;
use crate::store::audit::{self, NewEntry};
use crate::store::sessions::{Actor, hash_secret};
use crate::store::two_factor::{self, TwoFactor};
use crate::store::users::User;
use hmac::Mac;

/// Seconds per code.
pub const STEP_SECONDS: i64 = 30;
/// Recovery codes made at once.
pub const RECOVERY_CODES: usize = 10;
const SECRET_BYTES: usize = 20;
/// What is escaped in the otpauth URI's label and issuer: all but letters, digits and `-._~`.
const LABEL: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A secret being set up, as the user's app takes it.
pub struct Enrolment {
    /// Base32, for typing in by hand.
    pub secret: String,
    /// `otpauth://totp/…`, what the QR code holds.
    pub uri: String,
    /// The QR code, as an SVG document.
    pub qr_svg: String,
}

fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(BASE32[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(BASE32[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn unbase32(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = BASE32.iter().position(|&x| x == c)? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buffer >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

/// The pad a user's secret is sealed with.
fn pad(cx: &Context, user_id: &str) -> Vec<u8> {
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&cx.link_key) else { return vec![0; SECRET_BYTES] };
    mac.update(b"candor-totp:");
    mac.update(user_id.as_bytes());
    mac.finalize().into_bytes()[..SECRET_BYTES].to_vec()
}

fn seal(cx: &Context, user_id: &str, secret: &[u8]) -> String {
    base32(&secret.iter().zip(pad(cx, user_id)).map(|(a, b)| a ^ b).collect::<Vec<_>>())
}

fn unseal(cx: &Context, user_id: &str, sealed: &str) -> Option<Vec<u8>> {
    let bytes = unbase32(sealed)?;
    (bytes.len() == SECRET_BYTES).then(|| bytes.iter().zip(pad(cx, user_id)).map(|(a, b)| a ^ b).collect())
}

/// The time step a six-digit `code` is for, if it is right for `secret` within one step of `now_ms`.
fn step_of(secret: &[u8], code: &str, now_ms: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 0, STEP_SECONDS as u64, secret.to_vec());
    let now = now_ms.div_euclid(1000);
    let current = now.div_euclid(STEP_SECONDS);
    [current - 1, current, current + 1].into_iter().find(|step| {
        let expected = totp.generate((step * STEP_SECONDS) as u64);
        constant_time_eq(expected.as_bytes(), code.as_bytes())
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A recovery code as typed: upper-case, without spaces or dashes.
fn normal_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

fn new_recovery_codes() -> Result<(Vec<String>, Vec<String>), UseCaseError> {
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let mut raw = [0u8; 10];
        getrandom::fill(&mut raw).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let s = base32(&raw);
        codes.push(format!("{}-{}", &s[..8], &s[8..16]));
    }
    let hashes = codes.iter().map(|c| hash_secret(&normal_code(c))).collect();
    Ok((codes, hashes))
}

fn wrong_code() -> UseCaseError {
    let mut errors = FieldErrors::new();
    errors.push("code", "That code is not right. Enter the six digits your app shows now.");
    UseCaseError::Invalid(errors)
}

/// The user's two-factor state.
pub async fn state(cx: &Context, user_id: &str) -> Result<TwoFactor, UseCaseError> {
    Ok(two_factor::get(&cx.store, user_id).await?)
}

/// The secret being set up for `user` (a new one unless one is pending already), with its QR code. Nothing for a
/// user whose two-factor sign-in is on.
pub async fn enrolment(cx: &Context, user: &User, issuer: &str) -> Result<Option<Enrolment>, UseCaseError> {
    let current = two_factor::get(&cx.store, &user.id).await?;
    if current.enabled() {
        return Ok(None);
    }
    let secret = match current.secret.as_deref().and_then(|s| unseal(cx, &user.id, s)) {
        Some(s) => s,
        None => {
            let mut s = vec![0u8; SECRET_BYTES];
            getrandom::fill(&mut s).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
            two_factor::set_pending(&cx.store, &user.id, &seal(cx, &user.id, &s)).await?;
            s
        }
    };
    let encoded = base32(&secret);
    let label = |s: &str| percent_encoding::utf8_percent_encode(s, LABEL).to_string();
    let uri = format!(
        "otpauth://totp/{}:{}?secret={encoded}&issuer={}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
        label(issuer),
        label(&user.email),
        label(issuer)
    );
    let qr = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| anyhow::anyhow!("QR code: {e}"))?;
    let qr_svg = qr.render::<qrcode::render::svg::Color>().min_dimensions(220, 220).quiet_zone(true).build();
    Ok(Some(Enrolment { secret: encoded, uri, qr_svg }))
}

/// Turns two-factor sign-in on with the pending secret, confirmed by a `code` from the app; gives the recovery
/// codes (shown once). A wrong code is `Invalid` on `code`.
pub async fn enable(cx: &Context, user: &User, code: &str, actor_name: &str) -> Result<Vec<String>, UseCaseError> {
    let current = two_factor::get(&cx.store, &user.id).await?;
    if current.enabled() {
        return Err(UseCaseError::Refused("Two-factor sign-in is on already.".into()));
    }
    let sealed = current.secret.ok_or_else(wrong_code)?;
    let secret = unseal(cx, &user.id, &sealed).ok_or_else(wrong_code)?;
    let step = step_of(&secret, code, cx.store.now_ms()).ok_or_else(wrong_code)?;
    let (codes, hashes) = new_recovery_codes()?;
    if !two_factor::enable(&cx.store, &user.id, &sealed, step, &hashes).await? {
        return Err(wrong_code());
    }
    record(cx, user, actor_name, audit::TWO_FACTOR_ENABLED, serde_json::json!({})).await?;
    Ok(codes)
}

/// How a second step went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// A code from the app.
    Code,
    /// One of the recovery codes (spent now), with how many are left.
    RecoveryCode(i64),
    Wrong,
}

/// Checks a sign-in's second step: a code from the app (refused if its step was used already) or an unused
/// recovery code. A recovery code used is in the audit log.
pub async fn check(cx: &Context, user: &User, code: &str) -> Result<Checked, UseCaseError> {
    let current = two_factor::get(&cx.store, &user.id).await?;
    let Some(secret) = current.secret.as_deref().filter(|_| current.enabled()).and_then(|s| unseal(cx, &user.id, s))
    else {
        return Ok(Checked::Wrong);
    };
    if let Some(step) = step_of(&secret, code, cx.store.now_ms()) {
        return Ok(if two_factor::spend_step(&cx.store, &user.id, step).await? {
            Checked::Code
        } else {
            Checked::Wrong
        });
    }
    let normal = normal_code(code);
    if normal.len() == 16 && two_factor::spend_recovery_code(&cx.store, &user.id, &hash_secret(&normal)).await? {
        let left = two_factor::get(&cx.store, &user.id).await?.recovery_codes_left;
        record(cx, user, &user.name, audit::RECOVERY_CODE_USED, serde_json::json!({ "left": left })).await?;
        return Ok(Checked::RecoveryCode(left));
    }
    Ok(Checked::Wrong)
}

/// Turns two-factor sign-in off, after the user signed in again with a code (or a recovery code). Refused while
/// the organization requires it.
pub async fn disable(cx: &Context, actor: &Actor, code: &str) -> Result<(), UseCaseError> {
    if actor.org.require_two_factor {
        return Err(UseCaseError::Refused(
            "Your organization requires two-factor sign-in: it cannot be turned off.".into(),
        ));
    }
    if check(cx, &actor.user, code).await? == Checked::Wrong {
        return Err(wrong_code());
    }
    two_factor::disable(&cx.store, &actor.user.id).await?;
    record(cx, &actor.user, &actor.user.name, audit::TWO_FACTOR_DISABLED, serde_json::json!({})).await?;
    Ok(())
}

/// New recovery codes in place of the old ones, after a code from the app; gives them (shown once).
pub async fn renew_recovery_codes(cx: &Context, actor: &Actor, code: &str) -> Result<Vec<String>, UseCaseError> {
    if check(cx, &actor.user, code).await? == Checked::Wrong {
        return Err(wrong_code());
    }
    let (codes, hashes) = new_recovery_codes()?;
    two_factor::renew_codes(&cx.store, &actor.user.id, &hashes).await?;
    record(cx, &actor.user, &actor.user.name, audit::RECOVERY_CODES_RENEWED, serde_json::json!({})).await?;
    Ok(codes)
}

/// A second step refused, in the audit log.
pub async fn refused(cx: &Context, user: &User, client_address: &str) -> Result<(), UseCaseError> {
    let entry = NewEntry {
        org_id: &user.org_id,
        user_id: Some(&user.id),
        actor: &user.name,
        action: audit::SIGN_IN_CODE_FAILED,
        target: &user.email,
        detail: serde_json::json!({}),
        client: &super::audit::client_hash(cx, client_address),
    };
    Ok(audit::record(&cx.store, &entry).await?)
}

async fn record(
    cx: &Context,
    user: &User,
    actor_name: &str,
    action: &'static str,
    detail: serde_json::Value,
) -> Result<(), UseCaseError> {
    let entry = NewEntry {
        org_id: &user.org_id,
        user_id: Some(&user.id),
        actor: actor_name,
        action,
        target: &user.email,
        detail,
        client: "",
    };
    Ok(audit::record(&cx.store, &entry).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_round_trips() {
        let bytes: Vec<u8> = (0..20).map(|i| i * 13).collect();
        assert_eq!(unbase32(&base32(&bytes)).unwrap(), bytes);
        assert_eq!(base32(b"12345678901234567890"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    #[test]
    fn rfc_6238_vectors() {
        // RFC 6238, appendix B (SHA-1), six digits.
        let secret = b"12345678901234567890";
        for (t, code) in [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")] {
            assert_eq!(step_of(secret, code, t * 1000), Some(t / 30), "{t}");
        }
        assert_eq!(step_of(secret, "287082", 59_000 + 30_000), Some(1), "one step late is fine");
        assert_eq!(step_of(secret, "287082", 59_000 + 60_000), None, "two steps late is not");
        assert_eq!(step_of(secret, "28708", 59_000), None);
        assert_eq!(step_of(secret, "2870820", 59_000), None);
    }

    #[test]
    fn recovery_codes_are_typed_loosely() {
        assert_eq!(normal_code(" abcd2345-efgh 6723 "), "ABCD2345EFGH6723");
    }
}
