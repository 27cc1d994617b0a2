/*
 * A small Ed25519 verifier (RFC 8032, verification only) with its own SHA-512, for browsers without
 * WebCrypto Ed25519 (Chromium before 137, older Safari) or without WebCrypto at all (a page served
 * over plain HTTP on a shelter's network). Plain BigInt arithmetic: slow but enough for a few notices.
 * It only ever says a signature is valid; a notice it cannot check stays "not verified".
 */
'use strict';
const Ed25519Fallback = (() => {
  const P = 2n ** 255n - 19n;
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  const mod = (a, m = P) => { const r = a % m; return r >= 0n ? r : r + m; };
  const pow = (b, e, m = P) => { let r = 1n; b = mod(b, m); while (e > 0n) { if (e & 1n) r = r * b % m; b = b * b % m; e >>= 1n; } return r; };
  const inv = a => pow(a, P - 2n);
  const D = mod(-121665n * inv(121666n));
  const D2 = mod(2n * D);
  const SQRT_M1 = pow(2n, (P - 1n) / 4n);
  const B = [15112221349535400772501151409588531511454012693041857206046113283949847762202n,
    46316835694926478169428394003475163141307993866256225615783033603165251855960n];

  // Points in extended coordinates [X, Y, Z, T], x = X/Z, y = Y/Z, xy = T/Z.
  const point = (x, y) => [x, y, 1n, mod(x * y)];
  function add(p, q) {
    const a = mod((p[1] - p[0]) * (q[1] - q[0]));
    const b = mod((p[1] + p[0]) * (q[1] + q[0]));
    const c = mod(p[3] * D2 * q[3]);
    const d = mod(p[2] * 2n * q[2]);
    const e = b - a, f = d - c, g = d + c, h = b + a;
    return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
  }
  function mul(k, p) {
    let r = [0n, 1n, 1n, 0n];
    for (; k > 0n; k >>= 1n) { if (k & 1n) r = add(r, p); p = add(p, p); }
    return r;
  }
  const same = (p, q) => mod(p[0] * q[2] - q[0] * p[2]) === 0n && mod(p[1] * q[2] - q[1] * p[2]) === 0n;
  const le = bytes => bytes.reduceRight((n, b) => (n << 8n) | BigInt(b), 0n);

  function decode(bytes) {
    if (bytes.length !== 32) return null;
    const n = le(bytes);
    const sign = n >> 255n;
    const y = n & (2n ** 255n - 1n);
    if (y >= P) return null;
    const u = mod(y * y - 1n), v = mod(D * y * y + 1n);
    let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n));
    const vx2 = mod(v * x * x);
    if (vx2 === mod(-u)) x = mod(x * SQRT_M1);
    else if (vx2 !== u) return null;
    if (x === 0n && sign === 1n) return null;
    if ((x & 1n) !== sign) x = P - x;
    return point(x, y);
  }

  // SHA-512 (FIPS 180-4) on BigInt words.
  const M64 = (1n << 64n) - 1n;
  const K = ('428a2f98d728ae22 7137449123ef65cd b5c0fbcfec4d3b2f e9b5dba58189dbbc 3956c25bf348b538 59f111f1b605d019 '
    + '923f82a4af194f9b ab1c5ed5da6d8118 d807aa98a3030242 12835b0145706fbe 243185be4ee4b28c 550c7dc3d5ffb4e2 '
    + '72be5d74f27b896f 80deb1fe3b1696b1 9bdc06a725c71235 c19bf174cf692694 e49b69c19ef14ad2 efbe4786384f25e3 '
    + '0fc19dc68b8cd5b5 240ca1cc77ac9c65 2de92c6f592b0275 4a7484aa6ea6e483 5cb0a9dcbd41fbd4 76f988da831153b5 '
    + '983e5152ee66dfab a831c66d2db43210 b00327c898fb213f bf597fc7beef0ee4 c6e00bf33da88fc2 d5a79147930aa725 '
    + '06ca6351e003826f 142929670a0e6e70 27b70a8546d22ffc 2e1b21385c26c926 4d2c6dfc5ac42aed 53380d139d95b3df '
    + '650a73548baf63de 766a0abb3c77b2a8 81c2c92e47edaee6 92722c851482353b a2bfe8a14cf10364 a81a664bbc423001 '
    + 'c24b8b70d0f89791 c76c51a30654be30 d192e819d6ef5218 d69906245565a910 f40e35855771202a 106aa07032bbd1b8 '
    + '19a4c116b8d2d0c8 1e376c085141ab53 2748774cdf8eeb99 34b0bcb5e19b48a8 391c0cb3c5c95a63 4ed8aa4ae3418acb '
    + '5b9cca4f7763e373 682e6ff3d6b2b8a3 748f82ee5defb2fc 78a5636f43172f60 84c87814a1f0ab72 8cc702081a6439ec '
    + '90befffa23631e28 a4506cebde82bde9 bef9a3f7b2c67915 c67178f2e372532b ca273eceea26619c d186b8c721c0c207 '
    + 'eada7dd6cde0eb1e f57d4f7fee6ed178 06f067aa72176fba 0a637dc5a2c898a6 113f9804bef90dae 1b710b35131c471b '
    + '28db77f523047d84 32caab7b40c72493 3c9ebe0a15c9bebc 431d67c49c100d4c 4cc5d4becb3e42b6 597f299cfc657e2a '
    + '5fcb6fab3ad6faec 6c44198c4a475817').split(' ').map(h => BigInt('0x' + h));
  const rotr = (x, n) => ((x >> n) | (x << (64n - n))) & M64;
  function sha512(msg) {
    const len = msg.length;
    const padded = new Uint8Array(Math.ceil((len + 17) / 128) * 128);
    padded.set(msg);
    padded[len] = 0x80;
    let bits = BigInt(len) * 8n;
    for (let i = padded.length - 1; bits > 0n; i--, bits >>= 8n) padded[i] = Number(bits & 255n);
    let h = ['6a09e667f3bcc908', 'bb67ae8584caa73b', '3c6ef372fe94f82b', 'a54ff53a5f1d36f1', '510e527fade682d1',
      '9b05688c2b3e6c1f', '1f83d9abfb41bd6b', '5be0cd19137e2179'].map(x => BigInt('0x' + x));
    const w = new Array(80);
    for (let off = 0; off < padded.length; off += 128) {
      for (let i = 0; i < 16; i++) {
        let v = 0n;
        for (let j = 0; j < 8; j++) v = (v << 8n) | BigInt(padded[off + i * 8 + j]);
        w[i] = v;
      }
      for (let i = 16; i < 80; i++) {
        const s0 = rotr(w[i - 15], 1n) ^ rotr(w[i - 15], 8n) ^ (w[i - 15] >> 7n);
        const s1 = rotr(w[i - 2], 19n) ^ rotr(w[i - 2], 61n) ^ (w[i - 2] >> 6n);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) & M64;
      }
      let [a, b, c, d, e, f, g, hh] = h;
      for (let i = 0; i < 80; i++) {
        const t1 = (hh + (rotr(e, 14n) ^ rotr(e, 18n) ^ rotr(e, 41n)) + ((e & f) ^ (~e & M64 & g)) + K[i] + w[i]) & M64;
        const t2 = ((rotr(a, 28n) ^ rotr(a, 34n) ^ rotr(a, 39n)) + ((a & b) ^ (a & c) ^ (b & c))) & M64;
        hh = g; g = f; f = e; e = (d + t1) & M64; d = c; c = b; b = a; a = (t1 + t2) & M64;
      }
      h = h.map((x, i) => (x + [a, b, c, d, e, f, g, hh][i]) & M64);
    }
    const out = new Uint8Array(64);
    h.forEach((x, i) => { for (let j = 7; j >= 0; j--) { out[i * 8 + j] = Number(x & 255n); x >>= 8n; } });
    return out;
  }

  /** true only when {@code sig} is a valid Ed25519 signature of {@code msg} by public key {@code pub}. */
  function verify(pub, sig, msg) {
    if (sig.length !== 64) return false;
    const A = decode(pub);
    const R = decode(sig.subarray(0, 32));
    const s = le(sig.subarray(32));
    if (!A || !R || s >= L) return false;
    const k = mod(le(sha512(Uint8Array.from([...sig.subarray(0, 32), ...pub, ...msg]))), L);
    return same(mul(s, point(B[0], B[1])), add(R, mul(k, A)));
  }
  return { verify, sha512 };
})();
