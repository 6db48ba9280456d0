# pollchat's image: a build stage with Debian's -dev packages, and a runtime stage that holds only
# the binaries, the shared libraries they load and a non-root user. See docs/docker.md.
#   docker build -t pollchat .
#   docker run -p 9000:9000 pollchat
# The syntax stays within what both Docker and podman 4.3 (buildah 1.28) accept: no heredocs, no
# COPY --link. HEALTHCHECK is kept only in the Docker image format (podman build --format docker).

FROM debian:bookworm-slim AS build
ARG DEBIAN_FRONTEND=noninteractive
# The build packages of scripts/install-deps, less GoogleTest and the test tools: the suites run in
# CI outside the image (debug, ASan/UBSan and TSan builds), so repeating them here would only
# double the image build on a small machine.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config ccache \
      libboost1.81-dev libboost-url1.81-dev \
      nlohmann-json3-dev libcli11-dev libspdlog-dev libssl-dev libreadline-dev libsqlite3-dev \
      libhiredis-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
# Only the shipped programs: chat-server always, poller-client whenever the source tree has it
# (the top-level CMakeLists adds it on the same condition); the benchmark tools are not built.
# ccache in a build cache (BuildKit, buildah) makes a rebuild after a small change take seconds;
# one translation unit per library (unity build, as scripts/run does) makes the first a fifth
# cheaper.
ENV CCACHE_DIR=/ccache CCACHE_MAXSIZE=500M
RUN --mount=type=cache,id=pollchat-ccache,target=/ccache \
    targets=chat-server \
 && if [ -f poller-client/CMakeLists.txt ]; then targets="$targets poller-client"; fi \
 && cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCHAT_BUILD_TESTS=OFF \
      -DCMAKE_UNITY_BUILD=ON -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
 && ccache --zero-stats >/dev/null \
 && cmake --build /build --parallel 2 --target $targets \
 && ccache --show-stats \
 && mkdir -p /out/bin \
 && cp /build/server/chat-server /out/bin/ \
 && if [ -f poller-client/CMakeLists.txt ]; then cp /build/poller-client/poller-client /out/bin/; fi \
 && strip --strip-unneeded /out/bin/*

# The Debian package of every shared library the binaries load, for the runtime stage to install.
# Paths are tried as ldd prints them and resolved, since bookworm's merged /usr ships some
# libraries under /lib and others under /usr/lib.
RUN set -e; \
    if ldd /out/bin/* | grep -F 'not found'; then echo 'a shared library is missing' >&2; exit 1; fi; \
    : > /tmp/packages; \
    for lib in $(ldd /out/bin/* | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u); do \
      owner=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null) \
        || { echo "no Debian package ships $lib" >&2; exit 1; }; \
      echo "$owner" | head -n 1 | cut -d: -f1 >> /tmp/packages; \
    done; \
    sort -u /tmp/packages > /out/runtime-packages; \
    echo "runtime packages: $(tr '\n' ' ' < /out/runtime-packages)"

FROM debian:bookworm-slim
ARG DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages /tmp/runtime-packages
# ca-certificates: the trust store poller-client checks an https:// server's certificate against.
RUN apt-get update \
 && apt-get install -y --no-install-recommends $(cat /tmp/runtime-packages) ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /tmp/runtime-packages \
 && groupadd --system --gid 10001 pollchat \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin pollchat \
 && mkdir /data && chown 10001:10001 /data && chmod 0750 /data

COPY --from=build /out/bin/ /usr/local/bin/
# Fail the build here, not at the first start, if a library did not make it into this stage.
RUN if ldd /usr/local/bin/* | grep -F 'not found'; then echo 'a shared library is missing' >&2; exit 1; fi

# Numeric, so that runtimes which check "runAsNonRoot" can see it is not root.
USER 10001:10001
ENV CHAT_LISTEN=0.0.0.0:9000
# Messages are kept in /data (SQLite, see docs/operations.md); a named volume keeps them across
# container restarts and upgrades: docker run -v pollchat-data:/data ... A new named volume is
# filled from the image's /data, so it starts owned by the pollchat user.
ENV CHAT_DATA_DIR=/data
VOLUME /data
# 9000: HTTP (chat, web page, /healthz, /metrics); 8080: the TCP line room when CHAT_TCP_LISTEN is set.
EXPOSE 9000 8080
# The server GETs its own /healthz: no curl in the image. No --start-period: the server is ready
# long before the first check (and dockerfilelint 1.8 misreads that hyphenated option).
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["chat-server", "--healthcheck"]
# chat-server is PID 1 (no init in the image): it handles SIGTERM itself, answers parked polls
# 503 and exits 0 within --shutdown-grace.
STOPSIGNAL SIGTERM
ENTRYPOINT ["chat-server"]
