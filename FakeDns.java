class FakeDns {
    public static void main(String[] args) throws Exception {
        var dns = org.mailhygiene.testkit.dns.FakeDnsServer.start().load(java.nio.file.Path.of(args[0]));
        System.out.println("--dns 127.0.0.1:" + dns.address().getPort());
        Thread.sleep(Long.MAX_VALUE);
    }
}
