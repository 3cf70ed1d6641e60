#!/usr/bin/env python3
"""A TCP relay: 127.0.0.1:LISTEN → 127.0.0.1:TARGET. scripts/tests/milvus-parity puts one between a
Milvus-backed server and Milvus, and stops and starts it to cut Milvus off and bring it back."""
import socket, sys, threading


def pipe(a, b):
    try:
        while data := a.recv(65536):
            b.sendall(data)
    except OSError:
        pass
    finally:
        a.close()
        b.close()


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", int(sys.argv[1])))
listener.listen()
while True:
    client, _ = listener.accept()
    try:
        upstream = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    except OSError:
        client.close()
        continue
    for a, b in ((client, upstream), (upstream, client)):
        threading.Thread(target=pipe, args=(a, b), daemon=True).start()
