using System.CommandLine;
using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Backends.S3;
using Hds.Storage.Cli.Output;

namespace Hds.Storage.Cli.Commands;

/// <summary><c>hds bucket check</c> and <c>hds bucket create</c>.</summary>
internal static class BucketCommands
{
    public static Command Create()
    {
        var bucket = new Command("bucket", "Check or create the bucket (or local store).");
        bucket.Add(CreateCheck());
        bucket.Add(CreateCreate());
        return bucket;
    }

    private static Command CreateCheck()
    {
        var command = new Command("check", "Print whether the bucket has versioning and object lock enabled; exit 2 when it is not compliant, 11 when it is but the metadata master site (--site ...,master) does not answer.");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = CliContext.From(parse);
            var client = cli.CreateClient();
            var options = cli.RequestOptions<HdsRequestOptions>();
            await using (client.ConfigureAwait(false))
            {
                return await ReportAsync(cli, client, options, cancellationToken).ConfigureAwait(false);
            }
        });
        return command;
    }

    private static Command CreateCreate()
    {
        var name = new Argument<string?>("name")
        {
            Description = "S3: the bucket to create (defaults to --bucket). Not used with --local: the store is the --local directory.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("create", "Create a bucket with object lock (and so versioning) enabled, or initialize the local store; prints the check.")
        {
            name,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = CliContext.From(parse);
            var bucketName = parse.GetValue(name);
            cli.CreateStorageOptions(bucketName); // usage and configuration errors first (exit 1, 2)

            var options = cli.RequestOptions<HdsRequestOptions>(); // then no anonymous operation, before any I/O (exit 3)
            if (cli.LocalPath is not null)
            {
                if (bucketName is not null)
                {
                    throw new CliUsageException("With --local the store is the --local directory: omit the bucket name.");
                }

                // The one command that creates an embedded store: it initializes itself compliant on first check.
                Directory.CreateDirectory(cli.LocalPath);
            }
            else
            {
                var s3 = cli.CreateStorageOptions(bucketName).S3!;
                await CreateS3BucketAsync(s3, cancellationToken).ConfigureAwait(false);
                bucketName = s3.Bucket;
            }

            var client = cli.CreateClient(bucketName, createStore: true);
            await using (client.ConfigureAwait(false))
            {
                return await ReportAsync(cli, client, options, cancellationToken).ConfigureAwait(false);
            }
        });
        return command;
    }

    private static async Task<int> ReportAsync(CliContext cli, HdsStorageClient client, HdsRequestOptions options, CancellationToken cancellationToken)
    {
        var compliance = await client.CheckBucketAsync(options, cancellationToken).ConfigureAwait(false);
        await cli.WriteAsync(BucketReport.From(compliance, embeddedStore: cli.LocalPath is not null, cli.Log.Warnings), CliReports.Bucket, cancellationToken).ConfigureAwait(false);
        if (compliance.IsCompliant && compliance.MetadataMasterReachable != false)
        {
            return ExitCodes.Success;
        }

        if (!compliance.IsCompliant)
        {
            await HdsCli.WriteErrorAsync(CliContext.Error, HdsErrorCode.Configuration,
                "The bucket is not fit for health data: versioning and object lock must both be enabled. Object lock can only be enabled at creation: create a new bucket with 'hds bucket create'.")
                .ConfigureAwait(false);
            return ExitCodes.Configuration;
        }

        // Compliant as the sites that answered see it; the master being down is an outage to fix, not a bucket to replace.
        await HdsCli.WriteErrorAsync(CliContext.Error, HdsErrorCode.BackendUnavailable,
            $"The metadata master site {compliance.MetadataMaster} does not answer: the bucket is compliant on the sites that answered and data is still served, "
            + "but buckets cannot be created nor their versioning or lock configuration changed until it is back. Restart or repair that site.")
            .ConfigureAwait(false);
        return ExitCodes.MetadataMasterUnavailable;
    }

    // The library never creates buckets; the CLI does, with the library's S3 client settings, so operators get object lock right.
    private static async Task CreateS3BucketAsync(HdsS3StorageOptions options, CancellationToken cancellationToken)
    {
        using var s3 = S3ClientFactory.Create(options);
        try
        {
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = options.Bucket, ObjectLockEnabledForBucket = true }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "BucketAlreadyOwnedByYou")
        {
            // Already ours: the check that follows says whether it is fit for health data.
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "BucketAlreadyExists")
        {
            throw new HdsConfigurationException("The bucket name is already taken; choose another name.", ex);
        }
        catch (Exception ex) when (S3Errors.Map(ex, cancellationToken) is var mapped && mapped != ex)
        {
            throw mapped;
        }
    }
}
