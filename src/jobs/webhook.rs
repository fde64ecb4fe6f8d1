//! Delivering a webhook: the event's JSON body, signed as the Standard Webhooks specification says
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), POSTed
//! with a 10-second timeout and no redirects. The address is resolved at delivery time and every address it gives
//! is checked: loopback, private, link-local (cloud metadata), shared, multicast and unspecified ones are refused
//! unless the operator allows internal targets; the request then goes to the address that was checked.

use crate::config::WebhookPolicy;
use base64::Engine;
use hmac::{Hmac, Mac};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The `webhook-signature` value for a message.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> anyhow::Result<String> {
    let key = base64::engine::general_purpose::STANDARD.decode(secret.strip_prefix("whsec_").unwrap_or(secret))?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key)?;
    mac.update(format!("{msg_id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())))
}

/// Whether an address is one a webhook must not reach without the operator's leave.
pub fn internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0)
                || a >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0xdb8
                || first == 0x64 && v6.segments()[1] == 0xff9b
        }
    }
}

/// Text for HTML: `&`, `<`, `>`, `"` and `'` escaped.
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// What an attempt gave: the response's status, or why there was none.
pub struct Outcome {
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// POSTs `body` to `url` signed with `secret`, after checking where the address leads.
pub async fn post(policy: WebhookPolicy, url: &str, secret: &str, msg_id: &str, body: &str) -> Outcome {
    let started = std::time::Instant::now();
    let result = attempt(policy, url, secret, msg_id, body).await;
    let duration_ms = started.elapsed().as_millis() as i64;
    match result {
        Ok(status) if (200..300).contains(&status) => Outcome { status: Some(status), error: None, duration_ms },
        Ok(status) => {
            Outcome { status: Some(status), error: Some(format!("the endpoint answered {status}")), duration_ms }
        }
        Err(e) => Outcome { status: None, error: Some(format!("{e:#}")), duration_ms },
    }
}

async fn attempt(policy: WebhookPolicy, url: &str, secret: &str, msg_id: &str, body: &str) -> anyhow::Result<u16> {
    let parsed = url::Url::parse(url)?;
    anyhow::ensure!(
        parsed.scheme() == "https" || (parsed.scheme() == "http" && policy.allow_http),
        "only https endpoints are allowed"
    );
    let host = parsed.host_str().ok_or_else(|| anyhow::anyhow!("no host in the address"))?.to_owned();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let bare = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    let addrs: Vec<SocketAddr> = tokio::time::timeout(TIMEOUT, tokio::net::lookup_host((bare.as_str(), port)))
        .await
        .map_err(|_| anyhow::anyhow!("resolving {host} timed out"))??
        .collect();
    anyhow::ensure!(!addrs.is_empty(), "{host} resolves to no address");
    if !policy.allow_private
        && let Some(bad) = addrs.iter().find(|a| internal(a.ip()))
    {
        anyhow::bail!("{host} resolves to {}, an internal address; webhooks go to public addresses only", bad.ip());
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .resolve_to_addrs(&bare, &addrs)
        .build()?;
    let timestamp = jiff::Timestamp::now().as_second();
    let res = client
        .post(parsed)
        .header("content-type", "application/json")
        .header("user-agent", "Candor-Webhooks/1")
        .header("webhook-id", msg_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", sign(secret, msg_id, timestamp, body)?)
        .body(body.to_owned())
        .send()
        .await?;
    Ok(res.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specifications_example_signature() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn internal_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(!internal(ip.parse().unwrap()), "{ip}");
        }
    }
}
