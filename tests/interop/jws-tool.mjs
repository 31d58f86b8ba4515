// Independent JOSE implementation (npm "jose") used by test_jose_interop.
//   node jws-tool.mjs verify '<public JWK JSON>' '<compact JWS>'  -> prints the payload
//   node jws-tool.mjs sign '<payload>'                             -> prints {"jwk", "token"}
//   node jws-tool.mjs thumbprint '<JWK JSON>'                      -> prints the RFC 7638 thumbprint
//   node jws-tool.mjs verify-jwt <JWKS URL> <token> <issuer> <audience>
//                                  -> verifies an access token (typ at+jwt) against a
//                                     remote JWK Set, prints its claims
import * as jose from 'jose';

const [command, ...args] = process.argv.slice(2);

async function main() {
  switch (command) {
    case 'verify': {
      const key = await jose.importJWK(JSON.parse(args[0]), 'ES256');
      const { payload } = await jose.compactVerify(args[1], key, { algorithms: ['ES256'] });
      process.stdout.write(new TextDecoder().decode(payload));
      return;
    }
    case 'sign': {
      const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
      const token = await new jose.CompactSign(new TextEncoder().encode(args[0]))
        .setProtectedHeader({ alg: 'ES256', typ: 'interop+jwt' })
        .sign(privateKey);
      process.stdout.write(JSON.stringify({ jwk: await jose.exportJWK(publicKey), token }));
      return;
    }
    case 'verify-jwt': {
      const [jwksUrl, token, issuer, audience] = args;
      const jwks = jose.createRemoteJWKSet(new URL(jwksUrl));
      const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, {
        issuer,
        audience,
        typ: 'at+jwt',
        algorithms: ['ES256'],
      });
      process.stdout.write(JSON.stringify({ header: protectedHeader, claims: payload }));
      return;
    }
    case 'thumbprint':
      process.stdout.write(await jose.calculateJwkThumbprint(JSON.parse(args[0]), 'sha256'));
      return;
    default:
      throw new Error(`unknown command ${command}`);
  }
}

main().catch((error) => {
  process.stderr.write(`${error.code ?? 'error'}: ${error.message}\n`);
  process.exit(1);
});
