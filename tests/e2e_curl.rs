//! The incident's own command, through the real curl: refused before a single byte leaves,
//! while an ordinary request goes through. A local server stands in for the API; curl's
//! --connect-to keeps the real host name in the URL.

use crate::sandbox::{Sandbox, stderr};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts connections that send a request; answers each with a small JSON body.
fn counting_server() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(20) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 8192];
            if s.read(&mut buf).unwrap_or(0) > 0 {
                seen.fetch_add(1, Ordering::SeqCst);
            }
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}",
            );
        }
    });
    (port, count)
}

#[test]
fn the_incident_curl_call_is_refused_and_the_server_sees_nothing() {
    let sb = Sandbox::new();
    sb.install(&["curl"]);
    let (port, count) = counting_server();
    let to = format!("backboard.railway.app:443:127.0.0.1:{port}");
    let out = sb
        .run("curl")
        .args(["-X", "POST", "https://backboard.railway.app/graphql/v2", "--connect-to", &to])
        .args(["-H", "Authorization: Bearer 0f7e4c2a-token", "-H", "Content-Type: application/json"])
        .args(["-d", r#"{"query":"mutation { volumeDelete(volumeId: \"3d2c42fb-5a77-4c2b-9f3c-1d2e3f4a5b6c\") }"}"#])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("curl.graphql.mutation.delete"),
        "{}",
        stderr(&out)
    );
    // guard refused in the shim process itself, which has exited: a request it let through
    // would already have reached the server, so there is nothing to wait for.
    assert_eq!(
        count.load(Ordering::SeqCst),
        0,
        "not one request may reach the API"
    );

    // The same body read from a file is read and refused too.
    sb.write(
        "body.json",
        r#"{"query":"mutation { projectDelete(id: \"p\") }"}"#,
    );
    let out = sb
        .run("curl")
        .args(["https://backboard.railway.com/graphql/v2", "--connect-to"])
        .arg(format!("backboard.railway.com:443:127.0.0.1:{port}"))
        .args(["--data-binary", "@body.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert_eq!(count.load(Ordering::SeqCst), 0);
}

#[test]
fn a_harmless_request_passes_through_to_the_server() {
    let sb = Sandbox::new();
    sb.install(&["curl"]);
    let (port, count) = counting_server();
    let to = format!("backboard.railway.app:80:127.0.0.1:{port}");
    let out = sb
        .run("curl")
        .args([
            "-s",
            "http://backboard.railway.app/graphql/v2",
            "--connect-to",
            &to,
        ])
        .args(["-d", r#"{"query":"query { me { id } }"}"#])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "{\"ok\":true}");
    assert_eq!(count.load(Ordering::SeqCst), 1);
}
