// The Azure SDK for JavaScript as the tests' second opinion on Azurite: it seeds containers,
// lists them (the truth `ls az://…` is compared with) and makes SAS URLs by Azure's own rules.
// Usage: node azurite.mjs COMMAND < args.json; prints one JSON value on stdout.
import {
  BlobServiceClient,
  ContainerSASPermissions,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
} from "@azure/storage-blob";

const [command] = process.argv.slice(2);
let args;
let service;

async function main() {
  // Read as a stream: a synchronous read of a large piped input may fail with EAGAIN.
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  args = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
  service = BlobServiceClient.fromConnectionString(args.conn);
  switch (command) {
    case "seed": {
      const container = service.getContainerClient(args.container);
      await container.createIfNotExists();
      for (const blob of args.blobs) {
        const body = Buffer.from(blob.content ?? "", "utf8");
        await container.getBlockBlobClient(blob.name).upload(body, body.length, {
          blobHTTPHeaders: { blobContentType: blob.contentType ?? "application/octet-stream" },
        });
      }
      return { seeded: args.blobs.length };
    }
    case "list": {
      const container = service.getContainerClient(args.container);
      const rows = [];
      const options = { prefix: args.prefix || undefined };
      if (args.delimiter) {
        for await (const item of container.listBlobsByHierarchy(args.delimiter, options)) {
          rows.push(item.kind === "prefix"
            ? { name: item.name, folder: true }
            : { name: item.name, size: item.properties.contentLength });
        }
      } else {
        for await (const item of container.listBlobsFlat(options)) {
          rows.push({ name: item.name, size: item.properties.contentLength });
        }
      }
      return rows;
    }
    case "containers": {
      const names = [];
      for await (const c of service.listContainers()) names.push(c.name);
      return names;
    }
    case "sas": {
      const key = /AccountKey=([^;]+)/.exec(args.conn)[1];
      const account = /AccountName=([^;]+)/.exec(args.conn)[1];
      const credential = new StorageSharedKeyCredential(account, key);
      const sas = generateBlobSASQueryParameters({
        containerName: args.container,
        permissions: ContainerSASPermissions.parse("rl"),
        startsOn: new Date(Date.now() - 5 * 60 * 1000),
        expiresOn: new Date(Date.now() + 3600 * 1000),
        // Azurite 3.37 checks SAS signatures up to this version's string to sign.
        version: args.version ?? "2025-01-05",
      }, credential).toString();
      const url = service.getContainerClient(args.container).url;
      return `${url}/${args.prefix ?? ""}?${sas}`;
    }
    default:
      throw new Error(`unknown command ${command}`);
  }
}

main().then(
  (value) => process.stdout.write(JSON.stringify(value)),
  (error) => { process.stderr.write(`azurite.mjs ${command}: ${error.message}\n`); process.exit(1); },
);
