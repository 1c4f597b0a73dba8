//! The foundation every other test stands on: real Terraform, with the S3 backend
//! configured as for Cloudflare R2, against the local S3 server.

use std::time::{Duration, Instant};

use guardrail_testkit::{r2_backend_block, S3Server, TerraformDir};

const STATE_KEY: &str = "platform/local/terraform.tfstate";

fn slow_apply_config(server: &S3Server, seconds: u32) -> String {
    format!(
        r#"{backend}
resource "terraform_data" "slow" {{
  input = "hold the state lock"
  provisioner "local-exec" {{
    command = "sleep {seconds}"
  }}
}}
"#,
        backend = r2_backend_block(server, STATE_KEY)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_writes_state_to_the_bucket_and_releases_the_lockfile() {
    let server = S3Server::start();
    let dir = TerraformDir::new().with_s3(&server);
    dir.write(
        "main.tf",
        &format!(
            "{}\nresource \"terraform_data\" \"marker\" {{\n  input = \"hello\"\n}}\n",
            r2_backend_block(&server, STATE_KEY)
        ),
    );
    dir.init().assert_success();
    let apply = dir.run(&["apply", "-auto-approve"]);
    apply.assert_success();
    assert!(
        apply.stdout.contains("1 added, 0 changed, 0 destroyed"),
        "{}",
        apply.stdout
    );

    assert_eq!(
        server.keys().await,
        vec![STATE_KEY.to_string()],
        "only the state remains once the lock is released"
    );
    let state: serde_json::Value =
        serde_json::from_slice(&server.get(STATE_KEY).await.expect("state object")).unwrap();
    assert_eq!(state["version"], 4);
    assert_eq!(state["resources"][0]["type"], "terraform_data");
    assert_eq!(
        state["resources"][0]["instances"][0]["attributes"]["input"]["value"],
        "hello"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_apply_fails_with_terraforms_lock_error_while_the_first_holds_the_lock() {
    let server = S3Server::start();
    let first = TerraformDir::new().with_s3(&server);
    first.write("main.tf", &slow_apply_config(&server, 8));
    first.init().assert_success();
    let second = TerraformDir::new().with_s3(&server);
    second.write("main.tf", &slow_apply_config(&server, 8));
    second.init().assert_success();

    let holder = first.spawn(&["apply", "-auto-approve", "-no-color"]);
    let lock_key = format!("{STATE_KEY}.tflock");
    let deadline = Instant::now() + Duration::from_secs(30);
    let lock_body = loop {
        if let Some(body) = server.get(&lock_key).await {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "the .tflock object never appeared in the bucket"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let lock_info: serde_json::Value =
        serde_json::from_slice(&lock_body).expect("lock info is JSON");
    assert_eq!(lock_info["Operation"], "OperationTypeApply");
    let lock_id = lock_info["ID"].as_str().expect("lock ID").to_string();

    let contender = second.run(&["apply", "-auto-approve", "-lock-timeout=0s"]);
    assert!(
        !contender.success(),
        "the second apply must not run while the lock is held"
    );
    let message = contender.combined();
    assert!(
        message.contains("Error acquiring the state lock"),
        "{message}"
    );
    assert!(
        message.contains(&lock_id),
        "Terraform names the holder's lock ID: {message}"
    );

    let first_result = TerraformDir::wait(holder);
    first_result.assert_success();
    assert!(
        server.get(&lock_key).await.is_none(),
        "the lock is released after the first apply"
    );

    // With the lock free, the second configuration applies (and finds nothing to change).
    let retry = second.run(&["apply", "-auto-approve", "-lock-timeout=0s"]);
    retry.assert_success();
    assert!(retry.stdout.contains("No changes."), "{}", retry.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_local_server_honours_conditional_writes() {
    let server = S3Server::start();
    let client = server.client().await;
    let put = |body: &'static str| {
        client
            .put_object()
            .bucket(server.bucket())
            .key("probe")
            .body(body.as_bytes().to_vec().into())
    };
    let first = put("one")
        .if_none_match("*")
        .send()
        .await
        .expect("first conditional create");
    let second = put("two").if_none_match("*").send().await;
    let status = second
        .expect_err("If-None-Match must refuse an overwrite")
        .raw_response()
        .map(|r| r.status().as_u16());
    assert_eq!(status, Some(412));
    let stale = put("three").if_match("\"0000\"").send().await;
    assert_eq!(
        stale
            .expect_err("If-Match with a stale ETag must fail")
            .raw_response()
            .map(|r| r.status().as_u16()),
        Some(412)
    );
    put("four")
        .if_match(first.e_tag().unwrap())
        .send()
        .await
        .expect("If-Match with the current ETag");
    assert_eq!(server.get("probe").await.as_deref(), Some(&b"four"[..]));
}
