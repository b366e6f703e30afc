#!/usr/bin/env bash
# Every request the s3 source sends is signed right: fake_s3.py recomputes
# SigV4 from AWS's algorithm (its own code, not libcurl's) and answers 403
# SignatureDoesNotMatch otherwise. Keys that need encoding in the path, the
# listing's query, a session token, credentials from the environment, from
# a profile of the credentials file (AWS_PROFILE, the profile option),
# anonymous requests to a public bucket; a wrong secret and an unknown key
# are refused, saying where the credentials came from and never the secret.
# Usage: s3_signatures.sh SLUICE
source "$(dirname "$0")/lib.sh" "$1"
start_fake --public open-bucket
# Names a signer must encode: space, '+', '!', '(', ')', '\'', '*', '=', '&', UTF-8.
mkdir -p fake/sig-bucket/in fake/open-bucket/in
printf '{"lang":"en"}\n{"lang":"fr"}\n' >"fake/sig-bucket/in/a b+c!(x)'*=1&ü.json"
printf '{"lang":"en"}\n' >fake/sig-bucket/in/plain.json
cp fake/sig-bucket/in/plain.json fake/open-bucket/in/
cat >p.conf <<CONF
runtime = { trigger = "available_now"; };
stages = (
  { name = "in"; source = "s3"; path = "s3://sig-bucket/in/"; endpoint = "$FAKE"; schema = "lang STRING"; max_retries = 0; },
  { name = "n"; input = "in"; group_by = ["lang"]; aggregate = ["count(*) AS n"]; },
  { name = "out"; input = "n"; sink = "console"; output_mode = "complete"; format = "jsonl"; }
);
CONF
counts() { sed -n 's/.*"row":\(.*\)}$/\1/p' out.txt | sort | tr -d '\n'; }
want='{"lang":"en","n":2}{"lang":"fr","n":1}'

AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=SECRETTEST "$SLUICE" run p.conf >out.txt 2>err.txt ||
  fail "signed by the environment's credentials"
[ "$(counts)" = "$want" ] || fail "rows from the environment's credentials: $(counts)"
grep -q "GET /sig-bucket/in/a%20b%2Bc%21%28x%29%27%2A%3D1%26%C3%BC.json -> 206" fake.log ||
  fail "the odd key was not read as encoded: $(cat fake.log)"
grep -q "encoding-type=url&list-type=2&prefix=in%2F -> 200" fake.log || fail "no signed listing"

# A session token, from a profile of the credentials file named by the
# profile option, then by AWS_PROFILE; the environment's keys lose to the option.
cat >creds <<'INI'
[default]
aws_access_key_id = AKIDTEST
aws_secret_access_key = nope
[tok]
aws_access_key_id=ASIATEST
aws_secret_access_key=SECRETTOKEN
aws_session_token = TOKENTEST
INI
AWS_SHARED_CREDENTIALS_FILE=creds AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=nope \
  "$SLUICE" run p.conf --set in.profile=tok >out.txt 2>err.txt || fail "a session token from the profile option"
[ "$(counts)" = "$want" ] || fail "rows with a session token: $(counts)"
AWS_SHARED_CREDENTIALS_FILE=creds AWS_PROFILE=tok "$SLUICE" run p.conf >out.txt 2>err.txt || fail "AWS_PROFILE"
mkdir -p .aws && cp creds .aws/credentials
env -u AWS_SHARED_CREDENTIALS_FILE AWS_PROFILE=tok "$SLUICE" run p.conf >out.txt 2>err.txt || fail "~/.aws/credentials"

# Refused: a wrong secret (the default profile's), an unknown key, no credentials.
AWS_SHARED_CREDENTIALS_FILE=creds expect 2 \
  "cannot list s3://sig-bucket/in/: HTTP 403 SignatureDoesNotMatch: The request signature we calculated" \
  run p.conf --set in.profile=default
grep -q "check the credentials, from profile 'default' of creds" err.txt || fail "no hint naming the credentials' source"
AWS_ACCESS_KEY_ID=AKIDNOPE AWS_SECRET_ACCESS_KEY=SECRETTEST expect 2 "HTTP 403 InvalidAccessKeyId" run p.conf
AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=wrong-secret-42 expect 2 "SignatureDoesNotMatch" check p.conf
expect 2 "no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and no profile 'default'" run p.conf
AWS_SHARED_CREDENTIALS_FILE=creds expect 2 "no AWS credentials: no profile 'ghost' in creds" run p.conf --set in.profile=ghost
AWS_SHARED_CREDENTIALS_FILE=creds AWS_PROFILE=tok "$SLUICE" check p.conf -v >out.txt 2>err.txt || fail "check"
! grep -rqE "SECRETTOKEN|TOKENTEST|wrong-secret-42|nope" out.txt err.txt || fail "a secret was printed"

# Anonymous: no signature at all, for a public bucket.
"$SLUICE" run p.conf --set in.anonymous=true --set in.path=s3://open-bucket/in/ >out.txt 2>err.txt || fail "anonymous"
[ "$(counts)" = '{"lang":"en","n":1}' ] || fail "anonymous rows: $(counts)"
expect 2 "HTTP 403 AccessDenied: Access Denied: no SigV4 Authorization header" run p.conf --set in.anonymous=true
echo "s3: signatures checked independently on every request; credentials found and refused as the AWS CLI does"
