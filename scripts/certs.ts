/**
 * Certificates for the TLS tests and benchmarks, made by `openssl` when
 * they run so no key is committed: a CA, and a server certificate it signed
 * for localhost and 127.0.0.1 (`ca.pem`, `server.pem`, `server.key`).
 *
 * @module
 */

async function runCommand(cmd: string, args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** Whether `openssl` runs here (the TLS tests make their certificates with it). */
export async function hasOpenssl(): Promise<boolean> {
  try {
    return (await runCommand("openssl", ["version"])).code === 0;
  } catch {
    return false;
  }
}

/** A CA, and a server certificate it signed for localhost and 127.0.0.1, in `dir`. */
export async function makeCerts(dir: string): Promise<void> {
  const run = async (args: string[]) => {
    const r = await runCommand("openssl", args);
    if (r.code !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  };
  await run([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${dir}/ca.key`,
    "-out",
    `${dir}/ca.pem`,
    "-days",
    "2",
    "-subj",
    "/CN=sockdemo test CA",
  ]);
  await run([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${dir}/server.key`,
    "-out",
    `${dir}/server.csr`,
    "-subj",
    "/CN=localhost",
  ]);
  await Deno.writeTextFile(`${dir}/ext.cnf`, "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  await run([
    "x509",
    "-req",
    "-in",
    `${dir}/server.csr`,
    "-CA",
    `${dir}/ca.pem`,
    "-CAkey",
    `${dir}/ca.key`,
    "-CAcreateserial",
    "-out",
    `${dir}/server.pem`,
    "-days",
    "2",
    "-extfile",
    `${dir}/ext.cnf`,
  ]);
}
