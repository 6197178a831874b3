//! The library makes no network calls and writes no files. Its normal dependency tree,
//! for every platform and every library feature (not the CLI's `cli`), holds no crate
//! that speaks a network protocol or opens sockets, and its own source (outside the CLI
//! in src/bin/) calls nothing that opens a socket or writes a file. The same checks run
//! on the FFI crate `uniffi/` when there is one.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Crates whose job is networking: HTTP clients and servers, TLS, sockets, async network
/// I/O, DNS, RPC, WebSockets. (`tokio` is judged by its `net` feature, below.)
const NETWORK_CRATES: &[&str] = &[
    "hyper",
    "hyper-util",
    "reqwest",
    "ureq",
    "curl",
    "curl-sys",
    "isahc",
    "surf",
    "attohttpc",
    "minreq",
    "socket2",
    "mio",
    "h2",
    "h3",
    "quinn",
    "rustls",
    "native-tls",
    "openssl",
    "openssl-sys",
    "tokio-rustls",
    "tokio-native-tls",
    "hyper-rustls",
    "hyper-tls",
    "async-std",
    "async-net",
    "tungstenite",
    "tokio-tungstenite",
    "websocket",
    "hickory-resolver",
    "trust-dns-resolver",
    "tiny_http",
    "axum",
    "actix-web",
    "warp",
    "tonic",
    "libp2p",
    "ssh2",
    "libssh2-sys",
    "zmq",
    "nng",
    "paho-mqtt",
    "rumqttc",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every package in the normal dependency tree of `manifest` with `features`, on every
/// target, as (name, enabled features).
fn normal_tree(manifest: &Path, features: &str) -> Vec<(String, String)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args([
            "tree", "--locked", "-e", "normal", "--target", "all", "--prefix", "none",
        ])
        .args(["--format", "{p}|{f}", "--manifest-path"])
        .arg(manifest);
    if !features.is_empty() {
        command.args(["--features", features]);
    }
    let output = command.output().expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .filter_map(|line| {
            let (package, features) = line.split_once('|')?;
            let name = package.split_whitespace().next()?;
            Some((name.to_string(), features.to_string()))
        })
        .collect()
}

/// The networking crates in a tree.
fn networking(tree: &[(String, String)]) -> Vec<String> {
    let mut found: Vec<String> = tree
        .iter()
        .filter(|(name, features)| {
            NETWORK_CRATES.contains(&name.as_str())
                || (name == "tokio" && features.split(',').any(|f| f == "net"))
        })
        .map(|(name, _)| name.clone())
        .collect();
    found.sort();
    found.dedup();
    found
}

/// The library's own features (every feature but the CLI's).
fn library_features() -> Vec<String> {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    let section = manifest.split("[features]").nth(1).unwrap_or_default();
    let section = section.split("\n[").next().unwrap_or_default();
    section
        .lines()
        .filter_map(|line| {
            line.split_once('=')
                .map(|(name, _)| name.trim().to_string())
        })
        .filter(|name| {
            !name.is_empty() && !name.starts_with('#') && name != "default" && name != "cli"
        })
        .collect()
}

#[test]
fn the_library_depends_on_no_networking_crate() {
    let mut checked = Vec::new();
    let mut configurations = vec![(root().join("Cargo.toml"), String::new())];
    for feature in library_features() {
        configurations.push((root().join("Cargo.toml"), feature));
    }
    let ffi = root().join("uniffi/Cargo.toml");
    if ffi.is_file() {
        configurations.push((ffi, String::new()));
    }
    for (manifest, features) in &configurations {
        let tree = normal_tree(manifest, features);
        assert!(
            tree.iter().any(|(name, _)| name == "image"),
            "the tree looks empty: {tree:?}"
        );
        let found = networking(&tree);
        assert!(
            found.is_empty(),
            "{} with features [{features}] depends on networking crates {found:?}",
            manifest.display()
        );
        checked.push(format!("{} [{features}]", manifest.display()));
    }
    println!("checked: {checked:#?}");
}

#[test]
fn the_check_sees_the_cli_server_stack() {
    // The CLI's `serve` command is an HTTP server: its tree must be flagged, or the check
    // above could not fail.
    let found = networking(&normal_tree(&root().join("Cargo.toml"), "cli"));
    assert!(found.iter().any(|name| name == "tokio"), "{found:?}");
    assert!(found.iter().any(|name| name == "axum"), "{found:?}");
}

/// Calls that open sockets or write, create, move or delete files.
const FORBIDDEN_CALLS: &[&str] = &[
    "std::net",
    "TcpStream",
    "TcpListener",
    "UdpSocket",
    "UnixStream",
    "fs::write",
    "File::create",
    "OpenOptions",
    "create_dir",
    "remove_file",
    "remove_dir",
    "fs::rename",
    "fs::copy",
    "set_permissions",
    "hard_link",
    "symlink",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn library_source_opens_no_socket_and_writes_no_file() {
    let mut sources = Vec::new();
    rust_files(&root().join("src"), &mut sources);
    let ffi = root().join("uniffi/src");
    if ffi.is_dir() {
        rust_files(&ffi, &mut sources);
    }
    let bin = root().join("src/bin");
    let mut offences = Vec::new();
    let mut read = 0;
    for path in sources.iter().filter(|p| !p.starts_with(&bin)) {
        let text = std::fs::read_to_string(path).expect("source");
        // Unit tests may use temporary files; only the code before them ships.
        let shipped = text.split("#[cfg(test)]").next().unwrap_or_default();
        read += 1;
        for call in FORBIDDEN_CALLS {
            if shipped.contains(call) {
                offences.push(format!("{}: {call}", path.display()));
            }
        }
    }
    assert!(read > 20, "only {read} source files found");
    assert!(offences.is_empty(), "{offences:#?}");
}
