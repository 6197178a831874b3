//! `lesionscan serve` over real HTTP on a loopback port: the answers match
//! `classify --json`, bad requests get typed JSON errors (never 500) and leave the server
//! answering, uploads leave no trace, and the page needs nothing from elsewhere.
#![cfg(feature = "cli")]

#[path = "common/server.rs"]
mod server;

use std::process::Command;

use base64::Engine as _;
use serde_json::Value;
use server::{request, send_raw, Form, Server};

const MODEL: &str = "tests/data/two_input_float.tflite";
const CARD: &str = "tests/data/two_input_float.json";
const PHOTO: &str = "tests/data/phone_skin_moles.jpg";

fn photo() -> Vec<u8> {
    std::fs::read(PHOTO).expect("test photo")
}

fn server() -> Server {
    Server::start(&["--model", MODEL, "--accelerator", "cpu"])
}

/// What `lesionscan classify --json` prints for the photo with these extra flags.
fn cli_json(flags: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_lesionscan"))
        .args([
            "classify",
            "--json",
            "--accelerator",
            "cpu",
            "--model",
            MODEL,
        ])
        .args(flags)
        .arg(PHOTO)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// The parts of a result that do not depend on timing or on where the picture came from.
fn verdict(v: &Value) -> Value {
    serde_json::json!({
        "categories": v["categories"],
        "malignant_probability": v["malignant_probability"],
        "quality": v["quality"],
        "model_id": v["model_id"],
        "engine": v["engine"],
        "accelerator": v["accelerator"],
        "disclaimer": v["disclaimer"],
    })
}

fn photo_form() -> Form {
    Form::new().file("image", "mole.jpg", "image/jpeg", &photo())
}

fn assert_still_answers(server: &Server, after: &str) {
    let reply = server.post_form(&photo_form());
    assert_eq!(reply.status, 200, "after {after}: {}", reply.text());
    assert_eq!(
        reply.json()["categories"].as_array().map(Vec::len),
        Some(7),
        "after {after}"
    );
}

#[test]
fn classify_answers_with_the_json_of_classify_json_plus_the_preview_the_model_saw() {
    let server = server();
    let reply = server.post_form(&photo_form());
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(reply
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json")));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let v = reply.json();

    let cli = cli_json(&[]);
    assert_eq!(verdict(&v), verdict(&cli));
    assert_eq!(v["file"], "mole.jpg");
    // Same fields as the CLI's object, plus the preview.
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
        k.sort();
        k
    };
    let mut expected = keys(&cli);
    expected.push("preview".into());
    expected.sort();
    assert_eq!(keys(&v), expected);

    // The preview is exactly the model's input picture, rounded to whole grey levels.
    let preview = &v["preview"];
    let card = lesionscan::ModelCard::from_json(&std::fs::read_to_string(CARD).expect("card"))
        .expect("card parses");
    let target = lesionscan::TargetSize {
        width: card.input.width,
        height: card.input.height,
        fit: card.input.fit(),
        resampling: Default::default(),
    };
    let prepared =
        lesionscan::image::prepare_encoded(&photo(), &lesionscan::ImageOptions::default(), target)
            .expect("prepares");
    assert_eq!(
        (preview["width"].as_u64(), preview["height"].as_u64()),
        (
            Some(u64::from(target.width)),
            Some(u64::from(target.height))
        )
    );
    assert_eq!(
        (
            preview["source_width"].as_u64(),
            preview["source_height"].as_u64()
        ),
        (Some(1528), Some(1360))
    );
    let url = preview["data_url"].as_str().expect("data url");
    let png = base64::engine::general_purpose::STANDARD
        .decode(
            url.strip_prefix("data:image/png;base64,")
                .expect("a PNG data URL"),
        )
        .expect("base64");
    let shown = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
        .expect("PNG")
        .to_rgb8();
    assert_eq!(
        (shown.width(), shown.height()),
        (target.width, target.height)
    );
    let expected: Vec<u8> = prepared.rgb.iter().map(|v| v.round() as u8).collect();
    assert_eq!(shown.as_raw(), &expected);
}

#[test]
fn a_raw_picture_body_is_answered_like_the_form_and_query_fields_like_form_fields() {
    let server = server();
    let raw = server.request(
        "POST",
        "/api/classify?age=70&sex=male&site=face",
        &[("Content-Type", "image/jpeg")],
        &photo(),
    );
    assert_eq!(raw.status, 200, "{}", raw.text());
    let form = server.post_form(
        &photo_form()
            .text("age", "70")
            .text("sex", "male")
            .text("site", "face"),
    );
    assert_eq!(form.status, 200, "{}", form.text());
    assert_eq!(verdict(&raw.json()), verdict(&form.json()));
    assert_eq!(raw.json()["file"], "upload");
}

#[test]
fn patient_fields_reach_the_model_exactly_as_the_cli_flags_do() {
    let server = server();
    let with = server.post_form(
        &photo_form()
            .text("age", "70")
            .text("sex", "male")
            .text("site", "lower extremity"),
    );
    assert_eq!(with.status, 200, "{}", with.text());
    let cli_with = cli_json(&["--age", "70", "--sex", "male", "--site", "lower extremity"]);
    assert_eq!(verdict(&with.json()), verdict(&cli_with));

    // Blank fields (what a browser sends for untouched inputs) mean "not given".
    let blank = server.post_form(
        &photo_form()
            .text("age", "")
            .text("sex", "")
            .text("site", ""),
    );
    assert_eq!(blank.status, 200, "{}", blank.text());
    assert_eq!(verdict(&blank.json()), verdict(&cli_json(&[])));
    assert_ne!(
        verdict(&with.json()),
        verdict(&blank.json()),
        "the fields changed nothing"
    );
}

#[test]
fn bad_requests_get_typed_json_errors_and_the_server_keeps_answering() {
    let server = server();
    let photo = photo();
    let garbage: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let truncated = &photo[..photo.len() / 3];
    let (form_type, form_body) = photo_form().encode();
    let cut_form = &form_body[..form_body.len() / 2];
    let no_boundary = "multipart/form-data";

    type Case<'a> = (
        &'a str,
        &'a str,
        &'a str,
        Vec<(&'a str, String)>,
        Vec<u8>,
        u16,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "garbage raw",
            "POST",
            "/api/classify",
            vec![("Content-Type", "image/png".into())],
            garbage.clone(),
            400,
            "invalid_image",
        ),
        (
            "truncated JPEG",
            "POST",
            "/api/classify",
            vec![("Content-Type", "image/jpeg".into())],
            truncated.to_vec(),
            400,
            "invalid_image",
        ),
        (
            "empty body",
            "POST",
            "/api/classify",
            vec![],
            vec![],
            400,
            "missing_image",
        ),
        (
            "empty raw picture",
            "POST",
            "/api/classify",
            vec![("Content-Type", "image/jpeg".into())],
            vec![],
            400,
            "missing_image",
        ),
        (
            "text body",
            "POST",
            "/api/classify",
            vec![("Content-Type", "text/plain".into())],
            b"hello".to_vec(),
            415,
            "not_an_image",
        ),
        (
            "JSON body",
            "POST",
            "/api/classify",
            vec![("Content-Type", "application/json".into())],
            b"{}".to_vec(),
            415,
            "not_an_image",
        ),
        (
            "form without a boundary",
            "POST",
            "/api/classify",
            vec![("Content-Type", no_boundary.into())],
            form_body.clone(),
            400,
            "invalid_field",
        ),
        (
            "form cut in the middle",
            "POST",
            "/api/classify",
            vec![("Content-Type", form_type.clone())],
            cut_form.to_vec(),
            400,
            "invalid_field",
        ),
        (
            "fields in the address of a form",
            "POST",
            "/api/classify?age=40",
            vec![("Content-Type", form_type.clone())],
            form_body.clone(),
            400,
            "invalid_field",
        ),
        (
            "bad query field",
            "POST",
            "/api/classify?age=old",
            vec![("Content-Type", "image/jpeg".into())],
            photo.clone(),
            400,
            "invalid_field",
        ),
        (
            "unknown query field",
            "POST",
            "/api/classify?name=Jane",
            vec![("Content-Type", "image/jpeg".into())],
            photo.clone(),
            400,
            "invalid_field",
        ),
        (
            "unknown address",
            "GET",
            "/etc/passwd",
            vec![],
            vec![],
            404,
            "not_found",
        ),
        (
            "wrong method",
            "GET",
            "/api/classify",
            vec![],
            vec![],
            405,
            "method_not_allowed",
        ),
        (
            "another machine's name",
            "GET",
            "/api/model",
            vec![("Host", "evil.example:80".into())],
            vec![],
            403,
            "wrong_host",
        ),
    ];
    for (what, method, path, headers, body, status, kind) in cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let reply = server.request(method, path, &headers, &body);
        check_error(&reply, what, status, kind);
        assert_still_answers(&server, what);
    }

    let forms: Vec<(&str, Form, u16, &str)> = vec![
        (
            "garbage in the form",
            Form::new().file("image", "x.jpg", "image/jpeg", &garbage),
            400,
            "invalid_image",
        ),
        (
            "no image field",
            Form::new().text("age", "40"),
            400,
            "missing_image",
        ),
        (
            "empty image field",
            Form::new().file("image", "a.jpg", "image/jpeg", b""),
            400,
            "missing_image",
        ),
        (
            "picture in the wrong field",
            Form::new().file("file", "a.jpg", "image/jpeg", &photo),
            400,
            "invalid_field",
        ),
        (
            "two pictures",
            photo_form().file("image", "b.jpg", "image/jpeg", &photo),
            400,
            "invalid_field",
        ),
        (
            "a text file as the picture",
            Form::new().file("image", "notes.txt", "text/plain", b"hello"),
            415,
            "not_an_image",
        ),
        (
            "age in words",
            photo_form().text("age", "forty"),
            400,
            "invalid_field",
        ),
        (
            "age out of range",
            photo_form().text("age", "200"),
            400,
            "invalid_field",
        ),
        (
            "unknown sex",
            photo_form().text("sex", "x"),
            400,
            "invalid_field",
        ),
        (
            "unknown site",
            photo_form().text("site", "elbow"),
            400,
            "invalid_field",
        ),
        (
            "unknown field",
            photo_form().text("patient_name", "Jane"),
            400,
            "invalid_field",
        ),
    ];
    for (what, form, status, kind) in forms {
        let (t, b) = form.encode();
        check_form(&server, what, &t, &b, status, kind);
    }
    let wrong_field = server.post_form(&Form::new().file("file", "a.jpg", "image/jpeg", &photo));
    assert!(wrong_field.json()["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("\"image\"")));
}

fn check_form(
    server: &Server,
    what: &str,
    content_type: &str,
    body: &[u8],
    status: u16,
    kind: &str,
) {
    let reply = server.request(
        "POST",
        "/api/classify",
        &[("Content-Type", content_type)],
        body,
    );
    check_error(&reply, what, status, kind);
    assert_still_answers(server, what);
}

fn check_error(reply: &server::Reply, what: &str, status: u16, kind: &str) {
    assert_eq!(reply.status, status, "{what}: {}", reply.text());
    let v = reply.json();
    assert_eq!(v["error"]["kind"], kind, "{what}: {v}");
    let message = v["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.len() > 10,
        "{what}: a message that says what was wrong: {v}"
    );
    assert_eq!(
        v.as_object().map(|o| o.len()),
        Some(1),
        "{what}: only the error: {v}"
    );
}

#[test]
fn oversize_uploads_get_413_naming_the_limit_however_they_arrive() {
    let server = Server::start(&["--model", MODEL, "--max-upload-mb", "1"]);
    let big: Vec<u8> = (0..1_600_000u32).map(|i| (i % 253) as u8).collect();
    let check = |reply: server::Reply, what: &str| {
        assert_eq!(reply.status, 413, "{what}: {}", reply.text());
        let v = reply.json();
        assert_eq!(v["error"]["kind"], "too_large", "{what}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("1 MiB")),
            "{what}: the message names the limit: {v}"
        );
    };
    // Announced by Content-Length.
    check(
        server.request(
            "POST",
            "/api/classify",
            &[("Content-Type", "image/jpeg")],
            &big,
        ),
        "raw",
    );
    assert_still_answers(&server, "raw");
    // Streamed without a length: the limit is enforced while reading.
    check(
        server.request(
            "POST",
            "/api/classify",
            &[
                ("Content-Type", "image/jpeg"),
                ("Transfer-Encoding", "chunked"),
            ],
            &big,
        ),
        "chunked",
    );
    assert_still_answers(&server, "chunked");
    // Inside a form.
    check(
        server.post_form(&Form::new().file("image", "big.jpg", "image/jpeg", &big)),
        "form",
    );
    assert_still_answers(&server, "form");
    // A length that lies about a small body is refused before anything is read.
    check(
        server.request(
            "POST",
            "/api/classify",
            &[
                ("Content-Type", "image/jpeg"),
                ("Content-Length", "999999999"),
            ],
            b"",
        ),
        "declared length",
    );
    assert_still_answers(&server, "declared length");
    // The test photo (1,040,153 bytes) is just under 1 MiB and still accepted: see
    // assert_still_answers.
}

#[test]
fn pictures_of_several_megabytes_are_accepted_in_forms_and_raw() {
    // Noise compresses badly: a 1600x1200 PNG of it is about 5.8 MB, more than axum's
    // own 2 MB default body limit, well under the server's 32 MiB.
    let mut state = 0x2545_f491_u32;
    let noise = image::RgbImage::from_fn(1600, 1200, |_, _| {
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        };
        image::Rgb([next(), next(), next()])
    });
    let mut png = Vec::new();
    noise
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encode");
    assert!(png.len() > 4 * 1024 * 1024, "{} bytes", png.len());
    let server = server();
    let form = server.post_form(&Form::new().file("image", "big.png", "image/png", &png));
    assert_eq!(form.status, 200, "{}", form.text());
    assert_eq!(form.json()["preview"]["source_width"], 1600);
    let raw = server.request(
        "POST",
        "/api/classify",
        &[("Content-Type", "image/png")],
        &png,
    );
    assert_eq!(raw.status, 200, "{}", raw.text());
    assert_eq!(verdict(&raw.json()), verdict(&form.json()));
}

#[test]
fn sixteen_concurrent_clients_get_identical_answers() {
    let server = server();
    let photo = photo();
    let port = server.port;
    let answers: Vec<Value> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let photo = &photo;
                scope.spawn(move || {
                    // Half send forms, half raw pictures.
                    let reply = if i % 2 == 0 {
                        let (t, b) = Form::new()
                            .file("image", "m.jpg", "image/jpeg", photo)
                            .encode();
                        request(port, "POST", "/api/classify", &[("Content-Type", &t)], &b)
                    } else {
                        request(
                            port,
                            "POST",
                            "/api/classify",
                            &[("Content-Type", "image/jpeg")],
                            photo,
                        )
                    };
                    assert_eq!(reply.status, 200, "client {i}: {}", reply.text());
                    let v = reply.json();
                    serde_json::json!({"verdict": verdict(&v), "preview": v["preview"]})
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("client"))
            .collect()
    });
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer, &answers[0], "client {i} differs");
    }
    assert_eq!(verdict(&answers[0]["verdict"]), verdict(&cli_json(&[])));
}

#[test]
fn clients_that_hang_up_early_do_not_stop_the_server() {
    let mut server = server();
    let photo = photo();
    for _ in 0..10 {
        // Half a request, then gone.
        let head = format!(
            "POST /api/classify HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
            server.port,
            photo.len()
        );
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
        use std::io::Write;
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(&photo[..photo.len() / 4]);
        drop(stream);
        // A whole request whose answer nobody reads.
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(&photo);
        let _ = stream.shutdown(std::net::Shutdown::Both);
        drop(stream);
    }
    // Two pipelined requests, then gone: the second answer is written to a socket the
    // client has closed (EPIPE), which must not end the process (SIGPIPE).
    for _ in 0..3 {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
        let mut payload = format!(
            "GET /api/model HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
            server.port
        )
        .into_bytes();
        payload.extend_from_slice(
            format!(
                "POST /api/classify HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
                server.port,
                photo.len()
            )
            .as_bytes(),
        );
        payload.extend_from_slice(&photo);
        let _ = stream.write_all(&payload);
        drop(stream);
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    // Nonsense instead of HTTP.
    let reply = std::panic::catch_unwind(|| {
        send_raw(server.port, b"\x16\x03\x01 not http\r\n\r\n".to_vec())
    });
    if let Ok(reply) = reply {
        assert_eq!(reply.status / 100, 4, "a client error, if any answer");
    }
    assert!(server.is_running());
    assert_still_answers(&server, "hang-ups");
}

#[test]
fn model_endpoint_gives_the_card_tensors_and_upload_limit() {
    let server = server();
    let reply = server.get("/api/model");
    assert_eq!(reply.status, 200);
    let v = reply.json();
    assert_eq!(v["card"]["id"], "two_input_float");
    assert_eq!(v["accelerator"], "cpu");
    assert_eq!(v["inputs"][0]["shape"], serde_json::json!([1, 64, 64, 3]));
    assert_eq!(v["max_upload_bytes"], 32 * 1024 * 1024);
    assert!(v["disclaimer"]
        .as_str()
        .is_some_and(|d| d.contains("not a medical device")));
}

#[test]
fn the_page_is_self_contained_labelled_and_says_it_is_not_a_diagnosis() {
    let server = server();
    let page = server.get("/");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = page.header("content-security-policy").expect("CSP");
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    let html = page.text();
    let script = server.get("/app.js");
    let style = server.get("/app.css");
    assert_eq!(script.status, 200);
    assert_eq!(style.status, 200);
    assert!(script
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/javascript")));
    assert!(style
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/css")));
    for (name, text) in [
        ("page", &html),
        ("script", &script.text()),
        ("style", &style.text()),
    ] {
        for outside in ["http://", "https://", "//cdn", "@import", "fonts.g"] {
            assert!(!text.contains(outside), "{name} refers to {outside}");
        }
    }
    assert!(html.contains("name=\"viewport\""), "phone-sized windows");
    assert!(html.to_lowercase().contains("not a medical device"));
    assert!(html.contains("aria-live=\"polite\"") && html.contains("role=\"alert\""));
    // Every input and select has a label naming it.
    for tag in ["<input", "<select"] {
        for piece in html.split(tag).skip(1) {
            let id = piece
                .split("id=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .expect("a control with an id");
            assert!(
                html.contains(&format!("<label for=\"{id}\"")),
                "no label for #{id}"
            );
        }
    }
    // The body-site list is filled in from the library's vocabulary.
    assert!(html.contains("<option value=\"lower extremity\">"));
    assert!(!html.contains("SITE_OPTIONS"));
}

#[test]
fn uploads_leave_no_file_behind_and_no_patient_detail_in_the_log() {
    let work = tempfile::tempdir().expect("temp dir");
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = env!("CARGO_MANIFEST_DIR");
    let model = format!("{root}/{MODEL}");
    let server = Server::start_in(
        &["--model", &model],
        Some(work.path()),
        &[
            ("TMPDIR", tmp.path().to_str().expect("utf-8")),
            ("LESIONSCAN_LOG", "debug"),
        ],
    );
    let reply = server.post_form(
        &Form::new()
            .file("image", "Jane-Doe-left-scalp.jpg", "image/jpeg", &photo())
            .text("age", "87")
            .text("site", "scalp"),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let bad =
        server.post_form(&Form::new().file("image", "Jane-Doe-2.jpg", "image/jpeg", b"garbage"));
    assert_eq!(bad.status, 400);
    let log = server.stop();
    for detail in ["Jane-Doe", "scalp", "JFIF", "Exif"] {
        assert!(!log.contains(detail), "the log mentions {detail:?}: {log}");
    }
    for dir in [work.path(), tmp.path()] {
        let left: Vec<_> = std::fs::read_dir(dir).expect("dir").collect();
        assert!(left.is_empty(), "files left in {}: {left:?}", dir.display());
    }
}

#[test]
fn a_busy_port_is_one_line_and_exit_code_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_lesionscan"))
        .args(["serve", "--model", MODEL, "--port", &port])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&port) && stderr.contains("already in use"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn listening_beyond_loopback_needs_allow_remote_and_warns() {
    let out = Command::new(env!("CARGO_BIN_EXE_lesionscan"))
        .args([
            "serve", "--model", MODEL, "--port", "0", "--bind", "0.0.0.0",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--allow-remote"), "{stderr}");

    let server = Server::start(&["--model", MODEL, "--bind", "0.0.0.0", "--allow-remote"]);
    assert!(
        server.banner.contains("http://0.0.0.0:"),
        "{}",
        server.banner
    );
    // Any Host is accepted once remote clients are allowed.
    let reply = server.request(
        "GET",
        "/api/model",
        &[("Host", "lesionscan.clinic.example")],
        b"",
    );
    assert_eq!(reply.status, 200);
    let log = server.stop();
    assert!(
        log.contains("WARNING") && log.contains("unencrypted"),
        "{log}"
    );
}
