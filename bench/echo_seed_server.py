"""The seed's threaded echo server, kept as the baseline of bench/echo_compare.ts.

One `ClientThread` per connection, a listen backlog of 128, daemon threads (without
them Ctrl+C hangs until every client leaves). `ClientThread.close` sends
"shutting down" before closing, as Tandem's server does.

usage: python3 bench/echo_seed_server.py [HOST] [PORT]   (port 0 picks a free one)
"""

import socket
import sys
import threading


class ClientThread(threading.Thread):
    def __init__(self, conn, addr):
        super().__init__(daemon=True)
        self.conn = conn
        self.addr = addr

    def run(self):
        try:
            while True:
                data = self.conn.recv(65536)
                if not data:
                    break
                self.conn.sendall(data)
        except OSError:
            pass
        finally:
            self.conn.close()

    def close(self):
        try:
            self.conn.sendall(b"shutting down\n")
        except OSError:
            pass
        self.conn.close()


def main():
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 9999
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, port))
    server.listen(128)
    print(f"listening on {host}:{server.getsockname()[1]}", flush=True)
    clients = []
    try:
        while True:
            conn, addr = server.accept()
            client = ClientThread(conn, addr)
            clients.append(client)
            client.start()
    except KeyboardInterrupt:
        pass
    finally:
        for client in clients:
            client.close()
        server.close()


if __name__ == "__main__":
    main()
