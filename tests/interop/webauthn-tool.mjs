// Independent WebAuthn relying party (npm "@simplewebauthn/server") used by
// test_webauthn_interop: proves that Countersign's passkey registration and
// assertion (docs/protocol.md section 8) are standard WebAuthn.
//   node webauthn-tool.mjs < input.json
// input: {"rpId", "origin",
//         "registration": {"challenge", "credential_id", "client_data_json",
//                          "authenticator_data", "fmt", "attestation_signature", "x5c"?},
//         "assertion": {"challenge", "credential_id", "client_data_json",
//                       "authenticator_data", "signature"},
//         "counter": <stored sign count>}
// Binary members and the challenges are base64url, as on the wire. The
// assertion is checked against the public key simplewebauthn itself took
// from the registration. Prints {"registration": {...}, "assertion": {...}};
// exits 1 with the verifier's message when either is refused.
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

// The attestation object a browser would have produced from the same parts.
function attestationObject(registration) {
  const statement = new Map();
  if (registration.fmt !== 'none') {
    statement.set('alg', -7);
    statement.set('sig', isoBase64URL.toBuffer(registration.attestation_signature));
    if (registration.x5c && registration.x5c.length > 0)
      statement.set('x5c', registration.x5c.map((c) => isoBase64URL.toBuffer(c)));
  }
  return isoCBOR.encode(new Map([
    ['fmt', registration.fmt],
    ['attStmt', statement],
    ['authData', isoBase64URL.toBuffer(registration.authenticator_data)],
  ]));
}

async function main() {
  const input = JSON.parse(await readStdin());
  const reg = input.registration;
  const registered = await verifyRegistrationResponse({
    response: {
      id: reg.credential_id,
      rawId: reg.credential_id,
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: reg.client_data_json,
        attestationObject: isoBase64URL.fromBuffer(attestationObject(reg)),
      },
    },
    expectedChallenge: reg.challenge,
    expectedOrigin: input.origin,
    expectedRPID: input.rpId,
    requireUserVerification: false,
  });
  if (!registered.verified) throw new Error('registration not verified');
  const info = registered.registrationInfo;

  const as = input.assertion;
  const authenticated = await verifyAuthenticationResponse({
    response: {
      id: as.credential_id,
      rawId: as.credential_id,
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: as.client_data_json,
        authenticatorData: as.authenticator_data,
        signature: as.signature,
      },
    },
    expectedChallenge: as.challenge,
    expectedOrigin: input.origin,
    expectedRPID: input.rpId,
    credential: {
      id: info.credential.id,
      publicKey: info.credential.publicKey,
      counter: input.counter ?? info.credential.counter,
    },
    requireUserVerification: false,
  });
  if (!authenticated.verified) throw new Error('assertion not verified');
  process.stdout.write(JSON.stringify({
    registration: {
      fmt: info.fmt,
      credentialId: info.credential.id,
      counter: info.credential.counter,
      userVerified: info.userVerified,
    },
    assertion: {
      newCounter: authenticated.authenticationInfo.newCounter,
      userVerified: authenticated.authenticationInfo.userVerified,
      credentialId: authenticated.authenticationInfo.credentialID,
    },
  }));
}

main().catch((error) => {
  process.stderr.write(String(error && error.message ? error.message : error));
  process.exit(1);
});
