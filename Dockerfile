# AI-K gateway image: build with the dev toolchain, run with production dependencies only.
# Node 26, the newest LTS line; CI tests the suite on Node 20 and 26 (README "Kubernetes").
FROM node:26-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json buf.yaml buf.gen.yaml ./
COPY proto ./proto
COPY gen ./gen
COPY src ./src
# The web console (Vite, Preact, uPlot): `npm run build` builds it into dist/console.
COPY console ./console
RUN npm run build && npm prune --omit=dev

FROM node:26-bookworm-slim
ENV NODE_ENV=production \
    AIK_HOST=0.0.0.0 \
    AIK_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The descriptor set drives HTTP routing and gRPC reflection at run time.
COPY --from=build /app/gen/aik.binpb ./gen/aik.binpb
# Embedded-store data (zero-config mode only; set DATABASE_URL in production).
RUN mkdir -p /app/.aik && chown node:node /app/.aik
VOLUME ["/app/.aik"]
USER node
EXPOSE 8080 50051
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.AIK_HTTP_PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
