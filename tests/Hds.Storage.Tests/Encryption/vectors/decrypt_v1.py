# Independent format-1 decryptor written from docs/format.md only (Python 'cryptography').
import json, sys, struct, hashlib, hmac
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap_with_padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from cryptography.hazmat.primitives import hashes

def expand(prk, info):
    return HKDFExpand(hashes.SHA256(), 32, info).derive(prk)

def decrypt(v):
    st = bytes.fromhex(v["stored"]); kek = bytes.fromhex(v["kek"])
    assert st[:4] == b"HDS1" and st[4] == 1 and st[5] == 1
    H = struct.unpack(">H", st[6:8])[0]; S = struct.unpack(">I", st[8:12])[0]
    k = st[12]; kid = st[13:13+k].decode(); p = 13+k
    w = struct.unpack(">H", st[p:p+2])[0]; p += 2
    wrapped = st[p:p+w]; p += w
    salt = st[p:p+32]; p += 32; prefix = st[p:p+7]; p += 7
    commit = st[p:p+32]; p += 32; mac = st[p:p+32]; p += 32
    assert p == H
    dek = aes_key_unwrap_with_padding(kek, wrapped)
    t = v["tenant"].encode(); key = v["key"].encode()
    ctx = bytes([1]) + struct.pack(">H", len(t)) + t + struct.pack(">H", len(key)) + key
    prk = hmac.new(salt, dek, hashlib.sha256).digest()
    seg_key = expand(prk, b"HDS1 segment key\0" + ctx)
    hdr_key = expand(prk, b"HDS1 header key\0" + ctx)
    c = expand(prk, b"HDS1 key commitment\0" + ctx)
    assert hmac.compare_digest(c, commit)
    assert hmac.compare_digest(hmac.new(hdr_key, st[:H-32], hashlib.sha256).digest(), mac)
    g = AESGCM(seg_key); out = b""; i = 0; pos = H
    while True:
        rest = len(st) - pos
        final = rest < S + 57
        n = rest if final else S + 16
        pt = g.decrypt(prefix + struct.pack(">I", i) + bytes([1 if final else 0]), st[pos:pos+n], None)
        pos += n; i += 1
        if final:
            content, trailer = pt[:-40], pt[-40:]
            out += content
            assert struct.unpack(">Q", trailer[:8])[0] == len(out)
            assert trailer[8:] == hashlib.sha256(out).digest()
            break
        out += pt
    return out

for f in sys.argv[1:]:
    v = json.load(open(f))
    assert decrypt(v).hex() == v["plaintext"], f
    print("ok", f)
