# imagebot in a container: slim, runs as a user of its own, healthy while /healthz says so.
#   docker build -t imagebot .
#   docker run -e DISCORD_TOKEN -e OPENAI_API_KEY -v ./config.toml:/app/config.toml:ro \
#     -v imagebot-data:/app/data imagebot
# The config must set [metrics] listen = "0.0.0.0:9108" for the health check (deploy/config.toml does).

FROM python:3.11-slim AS build
# PyICU (the word filters' Unicode data) builds against Debian's ICU.
RUN apt-get update && apt-get install -y --no-install-recommends g++ libicu-dev pkg-config \
    && apt-cache depends libicu-dev | awk '/Depends: libicu[0-9]+$/ {print $2}' > /icu-runtime
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY migrations ./migrations
RUN pip install --no-cache-dir --root-user-action=ignore --prefix=/install .

FROM python:3.11-slim
COPY --from=build /install /usr/local
COPY --from=build /icu-runtime /tmp/icu-runtime
# libcairo2: CairoSVG draws SVG results with it.
RUN apt-get update && apt-get install -y --no-install-recommends $(cat /tmp/icu-runtime) libcairo2 \
    && rm -rf /var/lib/apt/lists/* /tmp/icu-runtime
RUN useradd --system --uid 10001 --user-group --home-dir /app --create-home imagebot \
    && mkdir /app/data && chown imagebot:imagebot /app/data
WORKDIR /app
USER imagebot
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
VOLUME ["/app/data"]
EXPOSE 9108
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "--config", "/app/config.toml", "health"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "bot", "--config", "/app/config.toml"]
CMD ["run"]
