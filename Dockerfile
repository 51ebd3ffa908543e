FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends pkg-config libssl-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked && cp target/release/wufei /usr/local/bin/wufei

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/wufei --create-home wufei
COPY --from=build /usr/local/bin/wufei /usr/local/bin/wufei
USER wufei
WORKDIR /var/lib/wufei
ENV WUFEI_BIND=0.0.0.0:8080 WUFEI_DATA_DIR=/var/lib/wufei/data WUFEI_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["wufei"]
CMD ["serve"]
