namespace Roundabout.Tests.Cli;

/// <summary>The bank and records verbs against a real silo process, through --gateway.</summary>
public sealed class BankAndRecordsCommandTests(SiloProcessFixture silo) : IClassFixture<SiloProcessFixture>
{
    private Task<(int Code, string Output, string Error)> Run(params string[] args) =>
        CliRunner.RunAsync([.. args, "--gateway", silo.Gateway]);

    [Fact]
    public async Task Bank_InitTransferBalanceAudit_MovesMoneyAndKeepsTheTotal()
    {
        var init = await Run("bank", "init", "--accounts", "4", "--balance", "100");
        var transfer = await Run("bank", "transfer", "--from", "account-0", "--to", "account-1", "--amount", "25");
        var balance = await Run("bank", "balance", "--account", "account-1");
        var audit = await Run("bank", "audit");

        Assert.Equal(0, init.Code);
        Assert.Equal(0, transfer.Code);
        Assert.Contains("transferred 25 from account-0 to account-1", transfer.Output);
        Assert.Equal(0, balance.Code);
        Assert.Contains("account-1: 125", balance.Output);
        Assert.Equal(0, audit.Code);
        Assert.Contains("4 accounts, total 400", audit.Output);
    }

    [Fact]
    public async Task BankTransfer_SameKeyTwice_MovesTheMoneyOnce()
    {
        await Run("bank", "init", "--accounts", "4", "--balance", "100");
        var before = await Run("bank", "balance", "--account", "account-3");

        var first = await Run("bank", "transfer", "--from", "account-2", "--to", "account-3", "--amount", "7", "--key", "cli-once");
        var second = await Run("bank", "transfer", "--from", "account-2", "--to", "account-3", "--amount", "7", "--key", "cli-once");
        var after = await Run("bank", "balance", "--account", "account-3");

        Assert.Equal((0, 0), (first.Code, second.Code));
        Assert.Equal(Balance(before.Output) + 7, Balance(after.Output));
        Assert.StartsWith("transferred 7 from account-2 to account-3", first.Output, StringComparison.Ordinal);
        Assert.StartsWith("already transferred 7 from account-2 to account-3 by an earlier call with key cli-once; nothing changed", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BankTransfer_KeyOfAnotherTransfer_RefusedAsBadInputAndMovesNothing()
    {
        await Run("bank", "init", "--accounts", "4", "--balance", "100");
        await Run("bank", "transfer", "--from", "account-0", "--to", "account-1", "--amount", "5", "--key", "cli-taken");
        var before = await Run("bank", "balance", "--account", "account-1");

        var reused = await Run("bank", "transfer", "--from", "account-0", "--to", "account-1", "--amount", "6", "--key", "cli-taken");
        var after = await Run("bank", "balance", "--account", "account-1");

        Assert.Equal(2, reused.Code);
        Assert.Contains("already belongs to a transfer of 5", reused.Error, StringComparison.Ordinal);
        Assert.Equal(Balance(before.Output), Balance(after.Output));
    }

    [Theory]
    [InlineData(2, "unknown account", "bank", "transfer", "--from", "account-0", "--to", "nobody", "--amount", "1")]
    [InlineData(2, "must be positive", "bank", "transfer", "--from", "account-0", "--to", "account-1", "--amount", "0")]
    [InlineData(2, "two different accounts", "bank", "transfer", "--from", "account-0", "--to", "account-0", "--amount", "1")]
    [InlineData(3, "cannot pay", "bank", "transfer", "--from", "account-0", "--to", "account-1", "--amount", "1000000")]
    [InlineData(2, "unknown account", "bank", "balance", "--account", "nobody")]
    public async Task Bank_BadInput_OneClearLineAndANonZeroExitCode(int expectedCode, string expectedText, params string[] args)
    {
        await Run("bank", "init", "--accounts", "4", "--balance", "100");
        var auditBefore = await Run("bank", "audit");

        var (code, _, error) = await Run(args);

        Assert.Equal(expectedCode, code);
        Assert.Contains(expectedText, CliRunner.ErrorLine(error), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(auditBefore.Output, (await Run("bank", "audit")).Output);
    }

    [Fact]
    public async Task Records_PutGetCasDelete_ReportVersionsAndRefuseAStaleCas()
    {
        var key = $"doc-{Guid.NewGuid():N}";

        var put = await Run("records", "put", "--key", key, "--value", "{\"a\":1}");
        var staleCas = await Run("records", "cas", "--key", key, "--value", "x", "--expected-version", "0");
        var cas = await Run("records", "cas", "--key", key, "--value", "{\"a\":2}", "--expected-version", "1");
        var get = await Run("records", "get", "--key", key);
        var delete = await Run("records", "delete", "--key", key);
        var gone = await Run("records", "get", "--key", key);
        var casOnDeleted = await Run("records", "cas", "--key", key, "--value", "x", "--expected-version", "0");

        Assert.Equal((0, "version 1"), (put.Code, put.Output.Trim()));
        Assert.Equal(4, staleCas.Code);
        Assert.Contains("at version 1, not 0", staleCas.Error);
        Assert.Equal((0, "version 2"), (cas.Code, cas.Output.Trim()));
        Assert.Equal("version 2: {\"a\":2}", get.Output.Trim());
        Assert.Equal(0, delete.Code);
        Assert.Equal((3, ""), (gone.Code, gone.Output));
        Assert.Equal($"error: there is no record '{key}': it was deleted at version 3", gone.Error.Trim());
        Assert.Equal((4, "error: the record is at version 3 (deleted), not 0; nothing was written"), (casOnDeleted.Code, casOnDeleted.Error.Trim()));
    }

    [Fact]
    public async Task Records_BinaryValueThroughFiles_ComesBackByteForByteAndIsNotPrintedRaw()
    {
        var key = $"bin-{Guid.NewGuid():N}";
        byte[] value = [0xff, 0x00, 0x0a, 0x1b, (byte)'[', (byte)'3', (byte)'1', (byte)'m', (byte)'A'];
        var input = Path.GetTempFileName();
        var output = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(input, value);

            var put = await Run("records", "put", "--key", key, "--value-file", input);
            var printed = await Run("records", "get", "--key", key);
            var saved = await Run("records", "get", "--key", key, "--output", output);

            Assert.Equal((0, "version 1"), (put.Code, put.Output.Trim()));
            Assert.Equal((0, "version 1: 9 bytes that are not printable text (--output FILE writes them to a file)"), (printed.Code, printed.Output.Trim()));
            Assert.Equal((0, $"version 1: 9 bytes written to {output}"), (saved.Code, saved.Output.Trim()));
            Assert.Equal(value, await File.ReadAllBytesAsync(output));
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }
    }

    [Theory]
    [InlineData("--value or --value-file is required")]
    [InlineData("cannot be used together", "--value", "x", "--value-file", "/etc/hostname")]
    [InlineData("cannot be read", "--value-file", "/nonexistent/value")]
    public async Task RecordsPut_ValueGivenWrongly_OneLineExit2AndNothingWritten(string expected, params string[] valueArguments)
    {
        var key = $"doc-{Guid.NewGuid():N}";

        var (code, _, error) = await Run(["records", "put", "--key", key, .. valueArguments]);

        Assert.Equal(2, code);
        Assert.Contains(expected, CliRunner.ErrorLine(error), StringComparison.Ordinal);
        Assert.Equal(3, (await Run("records", "get", "--key", key)).Code);
    }

    /// <summary>A value, key or account id that starts with @ is taken as it is, not as a file of more arguments to read.</summary>
    [Fact]
    public async Task Records_ValueStartingWithAt_IsStoredAsItIs()
    {
        var key = $"@doc-{Guid.NewGuid():N}";

        var put = await Run("records", "put", "--key", key, "--value", "@/etc/hostname");
        var get = await Run("records", "get", "--key", key);

        Assert.Equal((0, "version 1"), (put.Code, put.Output.Trim()));
        Assert.Equal("version 1: @/etc/hostname", get.Output.Trim());
    }

    /// <summary>
    /// A record that is not there is an error (exit 3, one line on standard error), for `get` as for
    /// `delete`: they printed "(none)" and "there was nothing to delete" on standard output, with exit 3.
    /// </summary>
    [Theory]
    [InlineData("get", "error: there is no record '{0}'")]
    [InlineData("delete", "error: there is no record '{0}'; nothing was deleted")]
    public async Task Records_NoSuchRecord_ExitThreeAndOneLineOnStandardError(string verb, string expected)
    {
        var key = $"missing-{Guid.NewGuid():N}";

        var (code, output, error) = await Run("records", verb, "--key", key);

        Assert.Equal(3, code);
        Assert.Equal("", output);
        Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, expected, key), error.Trim());
    }

    /// <summary>
    /// A silo refuses a client of another cluster and the client tries again until its time-out,
    /// which looks just like no silo: the message says both.
    /// </summary>
    [Fact]
    public async Task Bank_WrongClusterId_UnreachableAndSaysTheClusterIdMayDiffer()
    {
        var (code, _, error) = await Run("bank", "audit", "--cluster-id", "another-cluster");

        Assert.Equal(6, code);
        var line = Assert.Single(error.Trim().Split('\n'));
        Assert.Contains("no silo answered within 15 s", line, StringComparison.Ordinal);
        Assert.Contains("this client's --cluster-id is 'another-cluster'", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Records_ValueOverTheLimit_IsRefusedWithTheLimit()
    {
        var (code, _, error) = await Run("records", "put", "--key", "big", "--value", new string('x', 300_000));

        Assert.Equal(2, code);
        Assert.Contains("at most", error);
    }

    [Fact]
    public async Task Bank_UnreachableCluster_SaysSoInOneLine()
    {
        var (code, _, error) = await CliRunner.RunAsync("bank", "audit", "--gateway", "localhost:1");

        Assert.Equal(6, code);
        Assert.Contains("Cannot reach the cluster", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public async Task Bank_MalformedGateway_IsBadInput()
    {
        var (code, _, error) = await CliRunner.RunAsync("bank", "audit", "--gateway", "nonsense");

        Assert.Equal(2, code);
        Assert.Contains("host:port", error);
    }

    [Fact]
    public async Task Bank_UnresolvableGatewayHost_IsAnUnreachableCluster()
    {
        var (code, _, error) = await CliRunner.RunAsync("bank", "balance", "--gateway", "nosuchhost.invalid:30000", "--account", "x");

        Assert.Equal(6, code);
        Assert.Contains("Cannot reach the cluster", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("delete")]
    [InlineData("put", "--value", "[]")]
    [InlineData("cas", "--value", "[]", "--expected-version", "1")]
    public async Task Records_WritingTheBanksDirectory_IsRefusedAndLeavesTheBankAsItWas(string verb, params string[] more)
    {
        await Run("bank", "init", "--accounts", "4", "--balance", "100");
        var auditBefore = await Run("bank", "audit");

        var (code, _, error) = await Run(["records", verb, "--key", "roundabout-bank-directory", .. more]);
        var initAgain = await Run("bank", "init", "--accounts", "4", "--balance", "100");

        Assert.Equal(2, code);
        Assert.Contains("bank's account directory", error);
        Assert.Contains("0 new accounts", initAgain.Output);
        Assert.Equal(auditBefore.Output, (await Run("bank", "audit")).Output);
    }

    [Theory]
    [InlineData("must not be negative", "bank", "init", "--accounts", "2", "--balance", "-50")]
    [InlineData("17,078", "bank", "init", "--accounts", "20000", "--balance", "1")]
    [InlineData("17,078", "bank", "run", "--accounts", "20000")]
    [InlineData("past the 9,223,372,036,854,775,807 an audit can add up", "bank", "init", "--accounts", "9300", "--balance", "1000000000000000")]
    public async Task Bank_InitOutOfRange_IsRefusedBeforeAnythingIsWritten(string expectedText, params string[] args)
    {
        await Run("bank", "init", "--accounts", "4", "--balance", "100");
        var listBefore = await Run("bank", "list");

        var (code, _, error) = await Run(args);

        Assert.Equal(2, code);
        Assert.Contains(expectedText, CliRunner.ErrorLine(error));
        Assert.Equal(listBefore.Output, (await Run("bank", "list")).Output);
    }

    /// <summary>
    /// A mistyped --data is not an empty bank: the silo would create it and the verb would report
    /// nothing as the answer, or refuse a transfer or a deletion and leave an empty store behind.
    /// </summary>
    [Theory]
    [InlineData("bank", "audit")]
    [InlineData("bank", "list")]
    [InlineData("bank", "balance", "--account", "account-0")]
    [InlineData("records", "get", "--key", "k")]
    [InlineData("bank", "transfer", "--from", "account-0", "--to", "account-1", "--amount", "1")]
    [InlineData("records", "delete", "--key", "k")]
    public async Task VerbThatNeedsExistingData_DataDirectoryThatDoesNotExist_IsBadInputAndCreatesNothing(params string[] args)
    {
        var missing = Path.Combine(Path.GetTempPath(), $"roundabout-missing-{Guid.NewGuid():N}");

        var (code, output, error) = await CliRunner.RunAsync([.. args, "--data", missing]);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains($"--data {missing} does not exist", CliRunner.ErrorLine(error), StringComparison.Ordinal);
        Assert.False(Directory.Exists(missing));
    }

    [Theory]
    [InlineData("--amount", "99999999999999999999", "--isolation", "Snapshot")]
    [InlineData("--isolation", "bogus", "--amount", "1")]
    public async Task Bank_UnparsableOptionValue_IsBadInputWithoutTheHelpText(string option, string value, string otherOption, string otherValue)
    {
        var (code, output, error) = await CliRunner.RunAsync(["bank", "transfer", "--from", "account-0", "--to", "account-1", option, value, otherOption, otherValue]);

        Assert.Equal(2, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains(option, error);
        Assert.Contains("see `roundabout bank transfer --help`", error);
        Assert.DoesNotContain("Usage:", output + error);
    }

    private static long Balance(string output) => long.Parse(output.Trim().Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
}
