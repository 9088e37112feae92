# Independent decryptor for formats 1 and 2, written from docs/format.md only (Python 'cryptography').
# Usage: python3 decrypt.py vectors/*.json   (refusals.json is recognised and every entry must be refused as listed)
import json, sys, struct, hashlib, hmac, os, subprocess, tempfile
from datetime import datetime
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap_with_padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from cryptography.hazmat.primitives import hashes

DELTA_MS = 30 * 60 * 1000  # §6.1


class Refused(Exception):
    pass


class BadRequest(Exception):
    pass


def check(cond, why):
    if not cond:
        raise Refused(why)


def expand(prk, info):
    return HKDFExpand(hashes.SHA256(), 32, info).derive(prk)


def ms(iso):
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def open_header(st, kek, tenant, key, meta_write_id, last_modified_ms):
    check(len(st) >= 8 and st[:4] == b"HDS1" and st[4] in (1, 2) and st[5] == 1, "magic/version/suite")
    ver = st[4]
    H = struct.unpack(">H", st[6:8])[0]
    check((120 if ver == 1 else 144) <= H <= 2048 and len(st) >= H, "header length")
    S = struct.unpack(">I", st[8:12])[0]
    check(4096 <= S <= 16777216, "segment size")
    k = st[12]
    check(1 <= k <= 128 and all(0x21 <= b <= 0x7E for b in st[13:13 + k]), "key id")
    p = 13 + k
    w = struct.unpack(">H", st[p:p + 2])[0]; p += 2
    check(1 <= w <= 1024, "wrapped key length")
    wrapped = st[p:p + w]; p += w
    salt = st[p:p + 32]; p += 32
    prefix = st[p:p + 7]; p += 7
    write_id = written_at = None
    if ver == 2:
        write_id = st[p:p + 16]; p += 16
        written_at = struct.unpack(">q", st[p:p + 8])[0]; p += 8
    commit = st[p:p + 32]; p += 32
    mac = st[p:p + 32]; p += 32
    check(p == H, "fields do not fill H")
    try:
        dek = aes_key_unwrap_with_padding(kek, wrapped)
    except Exception:
        raise Refused("unwrap")
    check(len(dek) == 32, "dek length")
    t = tenant.encode(); kb = key.encode()
    ctx = bytes([1]) + struct.pack(">H", len(t)) + t + struct.pack(">H", len(kb)) + kb
    prk = hmac.new(salt, dek, hashlib.sha256).digest()
    seg_key = expand(prk, b"HDS1 segment key\0" + ctx)
    hdr_key = expand(prk, b"HDS1 header key\0" + ctx)
    c = expand(prk, b"HDS1 key commitment\0" + ctx)
    ok_c = hmac.compare_digest(c, commit)
    ok_m = hmac.compare_digest(hmac.new(hdr_key, st[:H - 32], hashlib.sha256).digest(), mac)
    check(ok_c and ok_m, "header authentication")
    if ver == 2:  # §6.1, header part
        check(meta_write_id is not None and meta_write_id == write_id.hex(), "write id metadata")
        check(last_modified_ms >= written_at - DELTA_MS, "dated before the write")
    return dict(ver=ver, H=H, S=S, t=40 if ver == 1 else 48, gcm=AESGCM(seg_key), prefix=prefix)


def nonce(h, i, final):
    return h["prefix"] + struct.pack(">I", i) + bytes([1 if final else 0])


def open_final(h, seg, i, L, last_modified_ms):
    try:
        pt = h["gcm"].decrypt(nonce(h, i, True), seg, None)
    except Exception:
        raise Refused("final segment tag")
    content, trailer = pt[:len(pt) - h["t"]], pt[len(pt) - h["t"]:]
    check(struct.unpack(">Q", trailer[:8])[0] == L, "sealed length")
    if h["ver"] == 2:  # §6.1, trailer part
        sealed_at = struct.unpack(">q", trailer[40:48])[0]
        check(last_modified_ms <= sealed_at + DELTA_MS, "replayed")
    return content, trailer


def decrypt(st, kek, tenant, key, meta_write_id, last_modified_ms):  # §5
    h = open_header(st, kek, tenant, key, meta_write_id, last_modified_ms)
    S, t = h["S"], h["t"]
    out = b""; i = 0; pos = h["H"]
    while True:
        rest = len(st) - pos
        final = rest < S + t + 17
        if final:
            check(rest >= t + 16 and not (i > 0 and rest == t + 16), "final segment missing")
            content, trailer = open_final(h, st[pos:], i, len(out) + rest - t - 16, last_modified_ms)
            out += content
            check(hmac.compare_digest(trailer[8:40], hashlib.sha256(out).digest()), "sealed digest")
            return out
        try:
            out += h["gcm"].decrypt(nonce(h, i, False), st[pos:pos + S + 16], None)
        except Exception:
            raise Refused("segment tag")
        pos += S + 16; i += 1


def ranged(st, kek, tenant, key, meta_write_id, last_modified_ms, o, length):  # §6
    h = open_header(st[:2048], kek, tenant, key, meta_write_id, last_modified_ms)
    H, S, t, T = h["H"], h["S"], h["t"], len(st)
    body = T - H
    check(body >= t + 16, "stored length")
    if body == t + 16:
        n, L = 1, 0
    else:
        n = (body - t - 17) // (S + 16) + 1
        f = body - (n - 1) * (S + 16)
        check(f <= S + t + 16, "stored length")
        L = (n - 1) * S + f - t - 16
    first_final = H + (n - 1) * (S + 16)
    open_final(h, st[first_final:T], n - 1, L, last_modified_ms)  # step 3: always, before anything (simplest correct reader)
    if o > L:
        raise BadRequest("range beyond the end")
    length = L - o if length is None else min(length, L - o)
    if length == 0:
        return b""
    first, last = o // S, min((o + length - 1) // S, n - 1)
    out = b""
    for i in range(first, last + 1):
        start = H + i * (S + 16)
        if i == n - 1:
            content, _ = open_final(h, st[start:T], i, L, last_modified_ms)
        else:
            try:
                content = h["gcm"].decrypt(nonce(h, i, False), st[start:start + S + 16], None)
            except Exception:
                raise Refused("segment tag")
        out += content
    base = first * S
    return out[o - base:o - base + length]


def version_of(v):
    if v.get("write_id") is None:
        return None, 0
    return v["write_id"], ms(v["last_modified"])


def run_vector(path, v):
    kek = bytes.fromhex(v["kek"]); st = bytes.fromhex(v["stored"])
    wid, lm = version_of(v)
    assert decrypt(st, kek, v["tenant"], v["key"], wid, lm).hex() == v["plaintext"], path
    for r in v.get("ranges") or []:
        got = ranged(st, kek, v["tenant"], v["key"], wid, lm, r["offset"], r.get("length"))
        assert got.hex() == r["content"], (path, r["offset"], r.get("length"))
    print("ok", os.path.basename(path), "format", v["format_version"], "ranges", len(v.get("ranges") or []))


def run_refusals(path, refusals):
    folder = os.path.dirname(path)
    for r in refusals:
        v = json.load(open(os.path.join(folder, r["vector"] + ".json")))
        kek = bytes.fromhex(v["kek"]); st = bytes.fromhex(r.get("stored") or v["stored"])
        wid, lm = version_of(v)
        if r.get("last_modified"):
            lm = ms(r["last_modified"])
        if r.get("write_id_metadata"):
            wid = r["write_id_metadata"]
        key = r.get("key") or v["key"]
        try:
            if r.get("range") is not None:
                ranged(st, kek, v["tenant"], key, wid, lm, r["range"]["offset"], r["range"].get("length"))
            else:
                decrypt(st, kek, v["tenant"], key, wid, lm)
            outcome = "success"
        except Refused:
            outcome = "integrity"
        except BadRequest:
            outcome = "invalid-request"
        assert outcome == r["expected"], (r["name"], outcome)
        print("refused as listed:", r["name"], "->", outcome)


def run_key_ring_entry(path, v):  # §9: CMS with the openssl command line (the Python 'cryptography' here has no CMS decrypt)
    with tempfile.TemporaryDirectory() as d:
        pem = os.path.join(d, "cert.pem"); open(pem, "w").write(v["certificate_pem"])
        entry = os.path.join(d, "entry.der"); open(entry, "wb").write(bytes.fromhex(v["entry"]))
        signed = subprocess.run(["openssl", "cms", "-decrypt", "-inform", "DER", "-in", entry, "-recip", pem, "-inkey", pem,
                                 "-keyopt", "rsa_padding_mode:oaep", "-binary"], capture_output=True, check=True).stdout
        assert signed[0] == 0x30, "decrypted content is not DER SignedData"
        sd = os.path.join(d, "signed.der"); open(sd, "wb").write(signed)
        # -noverify: no chain check (the signer is trusted by its configured thumbprint, §9.3); the signature itself is checked.
        payload = subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-in", sd, "-noverify", "-binary"],
                                 capture_output=True, check=True).stdout
        signer = subprocess.run(["openssl", "x509", "-in", pem, "-noout", "-fingerprint", "-sha256"], capture_output=True, check=True, text=True).stdout
    assert signer.strip().split("=")[1].replace(":", "") == v["signer_sha256"], "signer thumbprint"
    assert payload[:5] == b"HDSK\x01", "payload magic/version"
    n = struct.unpack(">H", payload[5:7])[0]
    doc = json.loads(payload[7:7 + n]); kek = payload[7 + n:]
    assert len(kek) == 32 and kek.hex() == v["kek"] and doc["id"] == v["id"] and "revoked" not in doc, "payload"
    print("ok", os.path.basename(path), "key-ring entry", doc["id"])


for f in sys.argv[1:]:
    data = json.load(open(f))
    if isinstance(data, list):
        run_refusals(f, data)
    elif "certificate_pem" in data:
        run_key_ring_entry(f, data)
    else:
        run_vector(f, data)
