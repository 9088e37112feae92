using Hds.Storage.Fuzz;

namespace Hds.Storage.Tests.Fuzz;

/// <summary>
/// The bounded fuzz run of every test run (and of CI): the committed seed corpus (tests/Hds.Storage.Fuzz/corpus), the seeds made
/// now (the key-ring seed is signed by this process's certificate), and a fixed number of deterministic mutations of them, through
/// the same targets the SharpFuzz/AFL harness runs. A target may only throw <see cref="HdsStorageException"/> (it catches that);
/// anything else escaping is a finding. The longer AFL run is described in docs/security.md.
/// </summary>
public sealed class FuzzReplayTests
{
    /// <summary>Mutations per target: minutes in total at most, on two shared cores.</summary>
    public const int MutationsPerTarget = 20_000;

    public static TheoryData<string> Targets => new(FuzzTargets.Names);

    [Theory]
    [MemberData(nameof(Targets))]
    public void Committed_corpus_and_bounded_mutations_only_produce_typed_errors(string target)
    {
        var run = FuzzTargets.Get(target);
        var corpus = Corpus(target);
        Assert.NotEmpty(corpus);
        var random = new Random(20250806 + target.Length); // deterministic: a failure reproduces
        var executions = 0;
        foreach (var seed in corpus)
        {
            Execute(run, seed, target, ref executions);
        }

        for (var i = 0; i < MutationsPerTarget; i++)
        {
            var input = Mutate(random, corpus[random.Next(corpus.Count)], corpus[random.Next(corpus.Count)]);
            Execute(run, input, target, ref executions);
        }

        Assert.Equal(corpus.Count + MutationsPerTarget, executions);
        TestContext.Current.SendDiagnosticMessage($"fuzz replay {target}: {executions} executions, no finding");
    }

    [Fact]
    public void Seeds_are_valid_inputs_of_their_target()
    {
        foreach (var (target, _, data) in FuzzTargets.Seeds().Where(s => s.Target == "object"))
        {
            Assert.Equal("object", target);
            var plain = FuzzTargets.Encode([]);
            Assert.NotEmpty(plain);
            Assert.NotEmpty(data);
        }

        var signed = FuzzTargets.Seeds().Single(s => s.Name == "signed").Data;
        var store = new Storage.Keys.KeyRingStore(null!, [FuzzTargets.KeyRingSigner], TimeSpan.FromDays(1), TimeProvider.System);
        var (entry, kek) = store.OpenContent(FuzzTargets.KekId, signed);
        Assert.Equal(FuzzTargets.KekId, entry.Id);
        Assert.Equal(FuzzTargets.Kek, kek);
    }

    private static void Execute(Action<byte[]> run, byte[] input, string target, ref int executions)
    {
        try
        {
            run(input);
        }
        catch (Exception ex)
        {
            Assert.Fail($"fuzz target '{target}' threw {ex.GetType().Name} (not an HdsStorageException) on input {Convert.ToHexString(input.AsSpan(0, Math.Min(256, input.Length)))}: {ex}");
        }

        executions++;
    }

    private static List<byte[]> Corpus(string target)
    {
        var list = new List<byte[]>();
        var directory = Path.Combine(AppContext.BaseDirectory, "fuzz-corpus", target);
        if (Directory.Exists(directory))
        {
            list.AddRange(Directory.GetFiles(directory).Order(StringComparer.Ordinal).Select(File.ReadAllBytes));
        }

        list.AddRange(FuzzTargets.Seeds().Where(s => s.Target == target).Select(s => s.Data));
        return list;
    }

    // AFL-like havoc: bit flips, interesting values, block deletion/insertion/duplication, truncation, extension, splicing.
    internal static byte[] Mutate(Random random, byte[] input, byte[] other)
    {
        var data = new List<byte>(input);
        var rounds = 1 + random.Next(4);
        for (var r = 0; r < rounds; r++)
        {
            switch (random.Next(10))
            {
                case 0 when data.Count > 0:
                    var bit = random.Next(data.Count * 8);
                    data[bit / 8] ^= (byte)(1 << (bit % 8));
                    break;
                case 1 when data.Count > 0:
                    data[random.Next(data.Count)] = (byte)random.Next(256);
                    break;
                case 2 when data.Count > 0:
                    data[random.Next(data.Count)] = Interesting[random.Next(Interesting.Length)];
                    break;
                case 3 when data.Count > 1:
                    var at = random.Next(data.Count - 1);
                    var value = (ushort)(random.Next(2) == 0 ? random.Next(65536) : Interesting[random.Next(Interesting.Length)] << 8);
                    data[at] = (byte)(value >> 8);
                    data[at + 1] = (byte)value;
                    break;
                case 4 when data.Count > 0:
                    var start = random.Next(data.Count);
                    data.RemoveRange(start, random.Next(Math.Min(64, data.Count - start)) + 1);
                    break;
                case 5:
                    var insert = new byte[1 + random.Next(32)];
                    random.NextBytes(insert);
                    data.InsertRange(random.Next(data.Count + 1), insert);
                    break;
                case 6 when data.Count > 0:
                    var keep = random.Next(data.Count + 1);
                    data.RemoveRange(keep, data.Count - keep); // truncation
                    break;
                case 7 when data.Count > 0:
                    var from = random.Next(data.Count);
                    var count = Math.Min(1 + random.Next(64), data.Count - from);
                    data.InsertRange(random.Next(data.Count + 1), data.GetRange(from, count)); // duplicated block
                    break;
                case 8 when other.Length > 0:
                    var cut = random.Next(Math.Min(data.Count, other.Length) + 1);
                    data.RemoveRange(cut, data.Count - cut);
                    data.AddRange(other.AsSpan(Math.Min(cut, other.Length)).ToArray()); // splice with another input
                    break;
                default:
                    data.AddRange(Enumerable.Repeat((byte)random.Next(256), 1 + random.Next(64))); // extension
                    break;
            }
        }

        return data.ToArray();
    }

    private static readonly byte[] Interesting = [0, 1, 0x7f, 0x80, 0xff, 0x20, 0x21, 0x7e, (byte)'"', (byte)'\\', (byte)'\n', (byte)'{', (byte)'}'];
}
