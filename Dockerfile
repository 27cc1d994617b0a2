# Crisis Hub image: build with Maven, run on a JRE as a non-root user.
#   docker build -t crisis-hub:dev .
# Runs read-only: sqlite-jdbc and Netty unpack native libraries into /tmp, so /tmp must be writable
# (an emptyDir on Kubernetes, see k8s/base/hub-deployment.yaml).

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY src ./src
COPY conf ./conf
COPY loadtest/src ./loadtest/src
RUN mvn -B -q -DskipTests package

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 hub && useradd --system --uid 10001 --gid hub --home-dir /app hub
WORKDIR /app
COPY --from=build /src/target/crisis-hub.jar /app/crisis-hub.jar
COPY conf /app/conf
USER 10001:10001
# HTTP + WebSocket, Hazelcast, clustered event bus (HUB_HTTP_PORT, HUB_CLUSTER_PORT, HUB_EVENTBUS_PORT)
EXPOSE 8080 5701 5801
ENV HUB_DATA_DIR=/app/data \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=70 -Xmn64m -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp"
# exec form: java is PID 1 and receives SIGTERM itself (the graceful stop of operations.md)
ENTRYPOINT ["java", "-jar", "/app/crisis-hub.jar"]
