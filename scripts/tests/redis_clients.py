#!/usr/bin/env python3
"""Real Redis clients (redis-py, valkey-py) against a running `vicinity serve`.

Every check compares with what the server must answer: numpy brute force for
vector-set searches, the native KNN for the served store. Exits non-zero with
the failed checks listed. Run by Tests/VicinityCLITests/RedisClientTests.swift
through the test virtual environment (scripts/setup makes it).

    redis_clients.py --port P --client redis|valkey --store-key KEY [--password TOKEN]
"""
import argparse
import json
import os
import sys
import threading

import numpy as np

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print(f"FAIL {what}", file=sys.stderr)


def expect_error(r, args, code_prefix, what):
    """The call fails with an error starting with code_prefix, and the connection stays usable."""
    try:
        r.execute_command(*args)
        check(False, f"{what}: no error")
    except Exception as e:  # noqa: BLE001 - the client's own exception classes differ
        text = str(e)
        check(code_prefix.lower() in (type(e).__name__ + " " + text).lower(), f"{what}: got {type(e).__name__} {text!r}")
    check(r.ping(), f"{what}: connection unusable afterwards")


def everyday(r, label, store_key):
    """The probes a new user runs first."""
    check(r.ping() is True, f"{label}: ping")
    info = r.info()
    check(info.get("redis_version") == "8.0.0" and "connected_clients" in info, f"{label}: info() {list(info)[:5]}")
    check("cmdstat_ping" in r.info("commandstats"), f"{label}: info commandstats")
    check(r.dbsize() >= 1, f"{label}: dbsize")
    check(r.command_count() > 30, f"{label}: command_count")
    name = "probe-" + "".join(c if c.isalnum() else "-" for c in label)
    check(r.client_setname(name) is True and decode(r.client_getname()) == name, f"{label}: client_setname/getname")
    check(isinstance(r.client_id(), int), f"{label}: client_id")
    check(any(decode(c.get("name")) == name for c in r.client_list()), f"{label}: client_list shows the name")
    check(r.echo("hi") in ("hi", b"hi") and len(r.time()) == 2, f"{label}: echo, time")
    check(r.config_get("save") == {"save": ""} or r.config_get("save") == {b"save": b""}, f"{label}: config_get")
    count = r.execute_command("COUNT")
    item = first_id(r, store_key)
    knn = r.execute_command("KNN", 5, "ID", item)
    p = r.pipeline(transaction=True)
    p.ping().execute_command("COUNT").execute_command("KNN", 5, "ID", item)
    check(p.execute() == [True, count, knn], f"{label}: transaction pipeline")
    p = r.pipeline(transaction=False)
    for _ in range(50):
        p.execute_command("COUNT")
    check(p.execute() == [count] * 50, f"{label}: plain pipeline")
    check(r.slowlog_len() >= 0 and isinstance(r.slowlog_get(5), list), f"{label}: slowlog")
    keys = [decode(k) for k in r.keys("*")]
    check(store_key in keys and len(keys) == r.dbsize(), f"{label}: keys {keys}")
    check(sorted(decode(k) for k in r.scan_iter()) == sorted(keys), f"{label}: scan_iter")
    check(r.exists(store_key, "no-such-key") == 1 and decode(r.type(store_key)) == "vectorset", f"{label}: exists, type")


def first_id(r, store_key):
    return r.execute_command("VRANDMEMBER", store_key)


def pool_under_threads(module, port, password, store_key):
    pool = module.ConnectionPool(port=port, password=password, max_connections=20)
    r = module.Redis(connection_pool=pool)
    ids = [r.execute_command("VRANDMEMBER", store_key) for _ in range(40)]
    expected = {i: r.execute_command("KNN", 10, "ID", i) for i in ids}
    errors = []

    def work(t):
        try:
            client = module.Redis(connection_pool=pool)
            for n in range(30):
                i = ids[(t * 7 + n) % len(ids)]
                if client.execute_command("KNN", 10, "ID", i) != expected[i]:
                    errors.append(f"thread {t}: KNN {i} differs")
        except Exception as e:  # noqa: BLE001
            errors.append(f"thread {t}: {e!r}")

    threads = [threading.Thread(target=work, args=(t,)) for t in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, f"pool under 20 threads: {errors[:3]}")


def brute_force(vectors, names, query, k):
    """Redis's similarity (1 + cos) / 2 in float64, most similar first."""
    def unit(v):
        n = np.linalg.norm(v)
        return v / n if n > 0 else v
    base = np.array([unit(v) for v in vectors])
    scores = (1 + base @ unit(query)) / 2
    order = np.argsort(-scores, kind="stable")[:k]
    return [(names[i], scores[i]) for i in order], scores


def same_ranking(got, want, all_scores, what):
    """Elements agree except where neighbouring scores are within float32 rounding; scores within 1e-5."""
    check(len(got) == len(want), f"{what}: {len(got)} results, expected {len(want)}")
    for (g_name, g_score), (w_name, w_score) in zip(got, want):
        check(abs(g_score - w_score) < 1e-5, f"{what}: score {g_score} vs {w_score}")
        if g_name != w_name:
            check(abs(w_score - all_scores[int(g_name[1:])]) < 1e-5, f"{what}: {g_name} in place of {w_name}")


def decode(x):
    return x.decode() if isinstance(x, bytes) else x


def vector_sets(r, label, typed):
    rng = np.random.default_rng(7)
    key = f"probe-set-{os.getpid()}-" + "".join(c if c.isalnum() else "-" for c in label)
    names = [f"e{i}" for i in range(300)]
    vectors = rng.normal(size=(300, 12)).astype(np.float32)
    for i, (n, v) in enumerate(zip(names, vectors)):
        attrs = {"i": i, "even": i % 2 == 0} if i % 3 == 0 else None
        if typed:
            added = r.vset().vadd(key, v.tolist(), n, attributes=attrs) if i % 2 else r.vset().vadd(key, v.tobytes(), n, attributes=attrs)
        else:
            args = ["VADD", key, "FP32", v.tobytes(), n] + (["SETATTR", json.dumps(attrs)] if attrs else [])
            added = r.execute_command(*args)
        check(added in (1, True), f"{label}: vadd {n}")
    check(r.execute_command("VADD", key, "VALUES", 12, *vectors[0].tolist(), "e0") in (0, False), f"{label}: vadd again gives 0")
    for q in range(20):
        query = rng.normal(size=12).astype(np.float32)
        want, all_scores = brute_force(vectors, names, query, 10)
        if typed:
            got = r.vset().vsim(key, query.tolist(), with_scores=True, count=10)
        else:
            flat = r.execute_command("VSIM", key, "FP32", query.tobytes(), "WITHSCORES", "COUNT", 10)
            got = dict(zip(flat[::2], flat[1::2])) if isinstance(flat, list) else flat
        same_ranking([(decode(n), float(s)) for n, s in got.items()], want, all_scores, f"{label}: vsim by vector {q}")
    for e in ("e5", "e77"):
        want, all_scores = brute_force(vectors, names, vectors[int(e[1:])], 5)
        got = r.vset().vsim(key, e, with_scores=True, count=5) if typed else None
        if got is not None:
            same_ranking([(decode(n), float(s)) for n, s in got.items()], want, all_scores, f"{label}: vsim by element {e}")
            check(decode(next(iter(got))) == e, f"{label}: vsim by element ranks the element first")
    # FILTER: only elements whose attributes match (every third has {"i": i, "even": …}).
    query = rng.normal(size=12).astype(np.float32)
    matching = [i for i in range(300) if i % 3 == 0 and i < 150 and i % 2 == 0]
    want, _ = brute_force(vectors[matching], [names[i] for i in matching], query, 5)
    flat = r.execute_command("VSIM", key, "FP32", query.tobytes(), "WITHSCORES", "COUNT", 5, "FILTER", ".i < 150 and .even")
    got = dict(zip(flat[::2], flat[1::2])) if isinstance(flat, list) else flat
    check([decode(n) for n in got] == [n for n, _ in want], f"{label}: vsim with FILTER {list(got)} vs {want}")
    plain = r.execute_command("VSIM", key, "ELE", "e5", "COUNT", 3)
    check([decode(x) for x in plain] == [n for n, _ in brute_force(vectors, names, vectors[5], 3)[0]], f"{label}: vsim plain")
    check(r.execute_command("VCARD", key) == 300 and r.execute_command("VDIM", key) == 12, f"{label}: vcard, vdim")
    emb = r.vset().vemb(key, "e4") if typed else [float(x) for x in r.execute_command("VEMB", key, "e4")]
    check(np.array_equal(np.array(emb, dtype=np.float32), vectors[4]), f"{label}: vemb is the vector as added")
    attrs = r.execute_command("VGETATTR", key, "e3")  # parsed already once r.vset() registered its callbacks
    check((attrs if isinstance(attrs, dict) else json.loads(attrs)) == {"i": 3, "even": False}, f"{label}: vgetattr {attrs!r}")
    check(r.execute_command("VGETATTR", key, "e1") is None, f"{label}: no attributes is nil")
    check(r.execute_command("VSETATTR", key, "e1", json.dumps({"k": "v"})) in (1, True), f"{label}: vsetattr")
    if typed:
        check(r.vset().vgetattr(key, "e1") == {"k": "v"}, f"{label}: typed vgetattr")
        with_attrs = r.vset().vsim(key, "e3", with_scores=True, with_attribs=True, count=2)
        first = next(iter(with_attrs.values()))
        check(first["attributes"] == {"i": 3, "even": False} and abs(first["score"] - 1) < 1e-6,
              f"{label}: vsim with scores and attributes {first}")
    info = r.vset().vinfo(key) if typed else r.execute_command("VINFO", key)
    info = info if isinstance(info, dict) else dict(zip(info[::2], info[1::2]))
    info = {decode(k): decode(v) for k, v in info.items()}
    check(info["size"] == 300 and info["vector-dim"] == 12 and info["attributes-count"] == 101, f"{label}: vinfo {info}")
    members = r.execute_command("VRANDMEMBER", key, 5)
    check(len(set(members)) == 5 and all(decode(m) in names for m in members), f"{label}: vrandmember 5")
    check(len(r.execute_command("VRANDMEMBER", key, -400)) == 400, f"{label}: vrandmember with repeats")
    check(r.execute_command("VISMEMBER", key, "e9") in (1, True), f"{label}: vismember")
    check(r.execute_command("VREM", key, "e9") in (1, True) and r.execute_command("VREM", key, "e9") in (0, False),
          f"{label}: vrem")
    check(r.execute_command("VISMEMBER", key, "e9") in (0, False) and r.execute_command("VCARD", key) == 299,
          f"{label}: gone after vrem")
    check(r.execute_command("VSIM", "no-such-key", "ELE", "x") == [], f"{label}: vsim on a missing key")
    for bad, code in [(["VADD", key, "VALUES", 2, 1, 2, "x"], "dimension mismatch"), (["VADD", key, "VALUES", 3, 1], "invalid vector"),
                      (["VADD", key, "FP32", b"abc", "x"], "invalid vector"), (["VSIM", key, "ELE", "nobody"], "not found"),
                      (["VSIM", key, "ELE", "e1", "COUNT", 0], "invalid count"), (["VSIM", key, "ELE", "e1", "BOGUS"], "syntax"),
                      (["VSIM", key, "ELE", "e1", "FILTER", ".i >"], "syntax error in FILTER"),
                      (["VADD", key, "VALUES", 12] + [0] * 12 + ["x", "NOPE"], "invalid option"),
                      (["VEMB", key, "e1", "FOO"], "invalid option"), (["VDIM", "no-such-key"], "does not exist"),
                      (["VRANDMEMBER", key, "x"], "not an integer"), (["VCARD"], "wrong number of arguments")]:
        expect_error(r, bad, code, f"{label}: {bad[:3]}")
    return key


def store_key_matches_native(r, store_key, label):
    for _ in range(10):
        item = decode(r.execute_command("VRANDMEMBER", store_key))
        knn = [decode(row[1]) for row in r.execute_command("KNN", 5, "ID", item)]
        vsim = [decode(x) for x in r.execute_command("VSIM", store_key, "ELE", item, "COUNT", 5)]
        check(vsim == knn, f"{label}: VSIM {store_key} ELE {item} COUNT 5 == KNN 5 ID {item}: {vsim} vs {knn}")


def handshake_errors(r, label):
    for bad, code in [(["HELLO", 4], "NOPROTO"), (["HELLO", "x"], "protocol version"), (["HELLO", 3, "FOO"], "syntax error"),
                      (["AUTH", "a", "b", "c"], "wrong number"), (["CLIENT", "NOPE"], "unknown subcommand"),
                      (["CLIENT", "SETNAME", "a b"], "cannot contain spaces"), (["SELECT", 1], "out of range"),
                      (["NOPE", "x"], "unknown command"), (["EXEC"], "without multi"), (["DISCARD"], "without multi")]:
        expect_error(r, bad, code, f"{label}: {bad}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--client", choices=["redis", "valkey"], default="redis")
    parser.add_argument("--store-key", required=True)
    parser.add_argument("--password")
    args = parser.parse_args()
    module = __import__(args.client)
    p = args.port
    if args.password:
        try:
            module.Redis(port=p).ping()
            check(False, "no password: the server should refuse")
        except module.exceptions.AuthenticationError:
            pass
        except module.exceptions.ResponseError as e:
            check("NOAUTH" in str(e) or "Authentication" in str(e), f"no password: {e}")
        try:
            module.Redis(port=p, password="wrong").ping()
            check(False, "wrong password accepted")
        except module.exceptions.AuthenticationError:
            pass
        for protocol in (2, 3):
            for kw in ({"password": args.password}, {"username": "default", "password": args.password}):
                r = module.Redis(port=p, protocol=protocol, **kw)
                everyday(r, f"{args.client} RESP{protocol} {sorted(kw)}", args.store_key)
    else:
        default = module.Redis(port=p)
        everyday(default, f"{args.client} default", args.store_key)
        for protocol in (2, 3):
            r = module.Redis(port=p, protocol=protocol, db=0)
            label = f"{args.client} RESP{protocol}"
            everyday(r, label, args.store_key)
            handshake_errors(r, label)
            vector_sets(r, label, typed=args.client == "redis" and hasattr(r, "vset"))
            store_key_matches_native(r, args.store_key, label)
        pool_under_threads(module, p, None, args.store_key)
    print(f"{args.client}: {len(failures)} failed checks")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
