using Hds.Storage.Fuzz;
using SharpFuzz;

// Usage:
//   hds-fuzz seed <directory>     writes the seed corpus, one sub-directory per target (committed under corpus/)
//   hds-fuzz <target>             runs one target under AFL (afl-fuzz starts it; input on stdin), SharpFuzz out-of-process mode
//   hds-fuzz <target> <file>...   runs files through a target once (reproducing a finding)
// Targets: header, object, keyring, audit.
if (args.Length == 2 && args[0] == "seed")
{
    foreach (var (target, name, data) in FuzzTargets.Seeds())
    {
        var directory = Path.Combine(args[1], target);
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, name), data);
    }

    return 0;
}

if (args.Length == 0 || !FuzzTargets.Names.Contains(args[0]))
{
    Console.Error.WriteLine("usage: hds-fuzz seed <dir> | hds-fuzz <" + string.Join('|', FuzzTargets.Names) + "> [file...]");
    return 2;
}

var run = FuzzTargets.Get(args[0]);
if (args.Length > 1)
{
    foreach (var file in args.Skip(1))
    {
        run(File.ReadAllBytes(file));
    }

    return 0;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    run(buffer.ToArray());
});
return 0;
